import type { PresenceEntry } from './presence';

/**
 * The presence panel's DOM: a row per other user who is online (`presence-user-<userId>`, with
 * `data-status`) and a video Call button (`presence-call-<userId>`), disabled while they are busy
 * or while this client cannot place a call.
 */
export class PresencePanel {
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private users: PresenceEntry[] = [];
  private callable = false;

  constructor(readonly root: HTMLElement) {
    this.list = root.querySelector<HTMLElement>('[data-testid="presence-list"]')!;
    this.empty = root.querySelector<HTMLElement>('[data-testid="presence-empty"]')!;
  }

  onCall(handler: (userId: string) => void): void {
    this.list.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-user-id]');
      if (button && !button.disabled && button.dataset.userId) handler(button.dataset.userId);
    });
  }

  /** Calls are placed from the lobby only. */
  setCallable(callable: boolean): void {
    if (callable === this.callable) return;
    this.callable = callable;
    this.render(this.users);
  }

  render(users: PresenceEntry[]): void {
    this.users = users;
    const listed = new Set(users.map((u) => u.userId));
    for (const row of [...this.list.querySelectorAll<HTMLElement>(':scope > li')]) {
      if (!listed.has(row.dataset.userId ?? '')) row.remove();
    }
    users.forEach((user, i) => {
      const row = this.row(user.userId) ?? this.createRow(user.userId);
      row.dataset.status = user.status;
      (row.querySelector('.presence-status') as HTMLElement).textContent = user.status;
      (row.querySelector('button') as HTMLButtonElement).disabled = !this.callable || user.status !== 'online';
      const at = this.list.children[i];
      if (at !== row) this.list.insertBefore(row, at ?? null); // keeps the order without moving rows needlessly
    });
    this.empty.hidden = users.length > 0;
  }

  private row(userId: string): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`:scope > li[data-user-id="${CSS.escape(userId)}"]`);
  }

  private createRow(userId: string): HTMLElement {
    const row = document.createElement('li');
    row.dataset.testid = `presence-user-${userId}`;
    row.dataset.userId = userId;
    const dot = document.createElement('span');
    dot.className = 'presence-dot';
    dot.setAttribute('aria-hidden', 'true');
    const name = document.createElement('span');
    name.className = 'presence-name';
    name.textContent = userId;
    const status = document.createElement('span');
    status.className = 'presence-status';
    const call = document.createElement('button');
    call.type = 'button';
    call.textContent = 'Call';
    call.dataset.testid = `presence-call-${userId}`;
    call.dataset.userId = userId;
    call.setAttribute('aria-label', `Video call ${userId}`);
    row.append(dot, name, status, call);
    return row;
  }
}
