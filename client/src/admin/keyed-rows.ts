/** A table cell: text, or a button that reports `action` with the row's key when clicked. */
export type Cell =
  | { field: string; text: string; testId?: string; title?: string }
  | { field: string; button: { label: string; action: string; testId: string; disabled?: boolean; danger?: boolean; title?: string } };

/**
 * The rows of a tbody, one per key, updated in place: a row stays the same element across
 * refreshes (focus and a click in progress survive), new keys add rows, missing keys drop them.
 */
export class KeyedRows {
  private readonly rows = new Map<string, HTMLTableRowElement>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly rowTestId: string,
    private readonly keyAttribute: string,
    onAction: (action: string, key: string) => void,
  ) {
    body.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
      const row = button?.closest<HTMLTableRowElement>('tr');
      const key = row?.getAttribute(`data-${this.keyAttribute}`);
      if (button && !button.disabled && key) onAction(button.dataset.action!, key);
    });
  }

  get size(): number {
    return this.rows.size;
  }

  /** Shows exactly these rows, in this order. */
  render(entries: ReadonlyArray<{ key: string; cells: Cell[]; attributes?: Record<string, string> }>): void {
    const keep = new Set(entries.map((e) => e.key));
    for (const [key, row] of this.rows) {
      if (keep.has(key)) continue;
      row.remove();
      this.rows.delete(key);
    }
    for (const entry of entries) {
      let row = this.rows.get(entry.key);
      if (!row) {
        row = document.createElement('tr');
        row.dataset.testid = this.rowTestId;
        row.setAttribute(`data-${this.keyAttribute}`, entry.key);
        this.rows.set(entry.key, row);
      }
      for (const [name, value] of Object.entries(entry.attributes ?? {})) row.setAttribute(`data-${name}`, value);
      entry.cells.forEach((cell, i) => this.fill(row, i, cell));
      this.body.append(row); // moves an existing row into place
    }
  }

  /** The button of `action` in the row of `key`, if shown. */
  button(key: string, action: string): HTMLButtonElement | null {
    return this.rows.get(key)?.querySelector<HTMLButtonElement>(`button[data-action="${CSS.escape(action)}"]`) ?? null;
  }

  private fill(row: HTMLTableRowElement, index: number, cell: Cell): void {
    let td = row.cells[index] as HTMLTableCellElement | undefined;
    if (!td || td.dataset.field !== cell.field) {
      const fresh = document.createElement('td');
      fresh.dataset.field = cell.field;
      if (td) td.replaceWith(fresh);
      else row.append(fresh);
      td = fresh;
    }
    if ('text' in cell) {
      if (cell.testId) td.dataset.testid = cell.testId;
      if (td.textContent !== cell.text) td.textContent = cell.text;
      if (cell.title) td.title = cell.title;
      return;
    }
    const spec = cell.button;
    let button = td.querySelector<HTMLButtonElement>(`button[data-action="${CSS.escape(spec.action)}"]`);
    if (!button) {
      button = document.createElement('button');
      button.type = 'button';
      button.dataset.action = spec.action;
      button.dataset.testid = spec.testId;
      if (spec.danger) button.className = 'danger';
      td.replaceChildren(button);
    }
    button.textContent = spec.label;
    button.disabled = !!spec.disabled;
    if (spec.title) button.title = spec.title;
  }
}
