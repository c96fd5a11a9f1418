export interface WaitingEntry {
  userId: string;
  name: string;
}

/** The host's waiting room: a row per person waiting, with Admit and Deny. */
export class WaitingList {
  onAdmit: (userId: string) => void = () => undefined;
  onDeny: (userId: string) => void = () => undefined;
  private readonly entries = new Map<string, WaitingEntry>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
  ) {}

  get(): WaitingEntry[] {
    return [...this.entries.values()];
  }

  has(userId: string): boolean {
    return this.entries.has(userId);
  }

  add(entry: WaitingEntry): void {
    this.entries.set(entry.userId, entry);
    this.render();
  }

  remove(userId: string): void {
    if (this.entries.delete(userId)) this.render();
  }

  clear(): void {
    this.entries.clear();
    this.render();
  }

  private render(): void {
    this.list.replaceChildren(...[...this.entries.values()].map((e) => this.row(e)));
    this.empty.hidden = this.entries.size > 0;
  }

  private row(e: WaitingEntry): HTMLLIElement {
    const li = document.createElement('li');
    li.dataset.testid = 'waiting-row';
    li.dataset.userId = e.userId;
    const name = document.createElement('span');
    name.textContent = e.name;
    const admit = document.createElement('button');
    admit.type = 'button';
    admit.dataset.testid = 'admit';
    admit.textContent = 'Admit';
    admit.addEventListener('click', () => this.onAdmit(e.userId));
    const deny = document.createElement('button');
    deny.type = 'button';
    deny.dataset.testid = 'deny';
    deny.className = 'danger';
    deny.textContent = 'Deny';
    deny.addEventListener('click', () => this.onDeny(e.userId));
    li.append(name, ' ', admit, ' ', deny);
    return li;
  }
}
