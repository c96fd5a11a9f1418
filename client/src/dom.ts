/** The element with `data-testid="testId"` under `root`; throws when the page lacks it. */
export function byTestId<T extends HTMLElement>(testId: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`[data-testid="${testId}"]`);
  if (!el) throw new Error(`missing element [data-testid="${testId}"]`);
  return el;
}

/** A page's status line and error box (the call page and the admin page each have one). */
export class StatusView {
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;

  constructor(statusTestId: string, errorTestId: string) {
    this.status = byTestId<HTMLElement>(statusTestId);
    this.error = byTestId<HTMLElement>(errorTestId);
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  /** Shows an error (with its code in `data-code`) until the next one or until cleared with null. */
  showError(code: string | null, message = ''): void {
    this.error.hidden = code === null;
    this.error.textContent = code === null ? '' : `${code}: ${message}`;
    if (code === null) delete this.error.dataset.code;
    else this.error.dataset.code = code;
  }
}
