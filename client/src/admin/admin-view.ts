import { StatusView, byTestId } from '../dom';
import type { AdminState } from './debug-api';

/** The admin page's fixed elements (the tables' rows and the charts have their own modules). */
export class AdminView extends StatusView {
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
  readonly nodeRows = byTestId<HTMLTableElement>('node-table').tBodies[0];
  readonly nodesEmpty = byTestId<HTMLElement>('nodes-empty');
  readonly workerRows = byTestId<HTMLTableElement>('worker-table').tBodies[0];
  readonly workersEmpty = byTestId<HTMLElement>('workers-empty');
  readonly callRows = byTestId<HTMLTableElement>('call-list').tBodies[0];
  readonly callsEmpty = byTestId<HTMLElement>('calls-empty');
  readonly auditRows = byTestId<HTMLTableElement>('audit-table').tBodies[0];
  readonly auditEmpty = byTestId<HTMLElement>('audit-empty');

  constructor() {
    super('admin-status', 'admin-error');
  }

  showState(state: AdminState): void {
    this.signIn.hidden = state === 'signed-in';
    this.dashboard.hidden = state !== 'signed-in';
    this.connectButton.disabled = state === 'signing-in';
    document.body.dataset.state = state;
  }
}
