import type { AdminState } from './debug-api';

function byTestId<T extends HTMLElement>(testId: string): T {
  const el = document.querySelector<T>(`[data-testid="${testId}"]`);
  if (!el) throw new Error(`missing element [data-testid="${testId}"]`);
  return el;
}

/** The admin page's fixed elements (the tables' rows and the charts have their own modules). */
export class AdminView {
  readonly signIn = document.getElementById('admin-sign-in') as HTMLFormElement;
  readonly nameInput = byTestId<HTMLInputElement>('admin-name');
  readonly userIdInput = byTestId<HTMLInputElement>('admin-user-id');
  readonly roleSelect = byTestId<HTMLSelectElement>('admin-role');
  readonly connectButton = byTestId<HTMLButtonElement>('admin-connect');
  readonly dashboard = byTestId<HTMLElement>('dashboard');
  readonly addWorkerButton = byTestId<HTMLButtonElement>('add-worker');
  readonly refreshButton = byTestId<HTMLButtonElement>('refresh');
  readonly signOutButton = byTestId<HTMLButtonElement>('sign-out');
  readonly cpuCanvas = byTestId<HTMLCanvasElement>('cpu-chart');
  readonly loadCanvas = byTestId<HTMLCanvasElement>('load-chart');
  readonly workerRows = byTestId<HTMLTableElement>('worker-table').tBodies[0];
  readonly workersEmpty = byTestId<HTMLElement>('workers-empty');
  readonly callRows = byTestId<HTMLTableElement>('call-list').tBodies[0];
  readonly callsEmpty = byTestId<HTMLElement>('calls-empty');
  private readonly status = byTestId<HTMLElement>('admin-status');
  private readonly error = byTestId<HTMLElement>('admin-error');

  showState(state: AdminState): void {
    this.signIn.hidden = state === 'signed-in';
    this.dashboard.hidden = state !== 'signed-in';
    this.connectButton.disabled = state === 'signing-in';
    document.body.dataset.state = state;
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
