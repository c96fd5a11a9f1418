import { fetchDevToken, type DevRole } from '../dev-token';
import { forgetHandedToken, forgetIfRefused, takeHandedToken, whoAmI } from '../handed-token';
import { errorCode } from '../errors';
import { AdminApi } from './api';
import { AuditTable } from './audit-table';
import { CallsTable } from './calls-table';
import { CpuChart, LoadChart } from './charts';
import { CpuHistory } from './cpu-history';
import type { AdminErrorView, AdminState } from './debug-api';
import type { AdminView } from './admin-view';
import { NodesTable } from './nodes-table';
import type { AdminCall, AdminNode, AdminWorker, AuditEntry } from './types';
import { WorkersTable, type WorkerAction } from './workers-table';

/** How often the nodes, workers and calls are read. */
export const POLL_MS = 2_000;
/** Samples kept on the CPU chart (two minutes at one per POLL_MS). */
export const CPU_SAMPLES = 60;
/** Audit entries shown (the latest). */
export const AUDIT_ROWS = 50;
/** The audit log changes only when operators act: read it every this many refreshes, and after this page's own actions. */
export const AUDIT_EVERY = 5;

const clock = (d: Date) => d.toLocaleTimeString([], { hour12: false });
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const isAuthError = (code: string) => code === 'UNAUTHORIZED' || code === 'FORBIDDEN';

/**
 * The operators' page: signs in for a token, then reads nodes, workers and calls every POLL_MS
 * (the latest operator audit entries less often, see AUDIT_EVERY) and shows them as charts and
 * tables, with drain node / add worker / drain worker / force-end.
 * A 401 or 403 stops polling and shows the error; other failures are shown and polling goes on.
 */
export class AdminApp {
  state: AdminState = 'signed-out';
  refreshes = 0;
  error: AdminErrorView | null = null;
  nodes: AdminNode[] = [];
  workers: AdminWorker[] = [];
  calls: AdminCall[] = [];
  audit: AuditEntry[] = [];
  readonly cpu: CpuChart;
  readonly load: LoadChart;
  private readonly history = new CpuHistory(CPU_SAMPLES);
  private readonly nodesTable: NodesTable;
  private readonly workersTable: WorkersTable;
  private readonly callsTable: CallsTable;
  private readonly auditTable: AuditTable;
  private api: AdminApi | null = null;
  private timer: number | null = null;
  private inFlight: Promise<void> | null = null;
  private again = false;
  private auditDue = true;

  constructor(private readonly view: AdminView) {
    this.cpu = new CpuChart(view.cpuCanvas);
    this.load = new LoadChart(view.loadCanvas);
    this.nodesTable = new NodesTable(view.nodeRows, view.nodesEmpty, (nodeId) => void this.drainNode(nodeId));
    this.workersTable = new WorkersTable(view.workerRows, view.workersEmpty, (a) => void this.drain(a));
    this.callsTable = new CallsTable(view.callRows, view.callsEmpty, (callId) => void this.forceEnd(callId));
    this.auditTable = new AuditTable(view.auditRows, view.auditEmpty);
  }

  start(): void {
    const v = this.view;
    v.signIn.addEventListener('submit', (e) => (e.preventDefault(), void this.signIn()));
    v.signOutButton.addEventListener('click', () => this.signOut('Signed out'));
    v.refreshButton.addEventListener('click', () => void this.refresh());
    v.addWorkerButton.addEventListener('click', () => void this.addWorker());
    this.setState('signed-out');
    const handed = takeHandedToken();
    if (handed) void this.signInWithToken(handed);
  }

  /** Signs in with a token the embedding app handed over (`/admin.html#token=`). */
  private async signInWithToken(token: string): Promise<void> {
    this.setState('signing-in', 'Signing in…');
    try {
      const me = await whoAmI(token);
      this.api = new AdminApi(token);
      await this.signedIn(`Signed in as ${me.name} (${me.userId}, ${me.role})`);
    } catch (err) {
      forgetIfRefused(err);
      this.fail(err);
      this.setState('signed-out', 'Not signed in');
    }
  }

  // ------------------------------------------------------------------ session

  private async signIn(): Promise<void> {
    const name = this.view.nameInput.value.trim();
    const userId = this.view.userIdInput.value.trim();
    const role = this.view.roleSelect.value as DevRole;
    if (!name || !userId) return this.showError('VALIDATION_FAILED', 'enter a name and a user id');
    this.showError(null);
    this.setState('signing-in', 'Signing in…');
    try {
      this.api = new AdminApi(await fetchDevToken(userId, name, role));
    } catch (err) {
      this.fail(err);
      this.setState('signed-out', 'Not signed in');
      return;
    }
    await this.signedIn(`Signed in as ${name} (${userId}, ${role})`);
  }

  private async signedIn(status: string): Promise<void> {
    this.history.clear();
    this.refreshes = 0;
    this.setState('signed-in', status);
    await this.refresh();
  }

  private signOut(status: string): void {
    this.api = null;
    forgetHandedToken();
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.setState('signed-out', status);
  }

  // ------------------------------------------------------------------ polling

  /** Reads nodes, workers and calls now (one read at a time; a request meanwhile reads again after it). */
  refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.readAll().finally(() => {
      this.inFlight = null;
      if (this.again && this.api) {
        this.again = false;
        void this.refresh();
      } else {
        this.again = false;
        this.schedule();
      }
    });
    return this.inFlight;
  }

  private schedule(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = this.api ? window.setTimeout(() => void this.refresh(), POLL_MS) : null;
  }

  private async readAll(): Promise<void> {
    const api = this.api;
    if (!api) return;
    // Cleared before the read: an action that ends while it runs asks again for the next one.
    const readAudit = this.auditDue || this.refreshes % AUDIT_EVERY === 0;
    this.auditDue = false;
    try {
      const [nodes, workers, calls, audit] = await Promise.all([api.nodes(), api.workers(), api.calls(), readAudit ? api.audit(AUDIT_ROWS) : null]);
      if (api !== this.api) return; // signed out (or in again) meanwhile
      const at = new Date();
      this.nodes = nodes;
      this.workers = workers;
      this.calls = calls;
      if (audit) this.audit = audit.entries;
      this.history.add(at, workers);
      this.cpu.update(this.history);
      this.load.update(workers);
      this.nodesTable.render(nodes);
      this.workersTable.render(workers);
      this.callsTable.render(calls);
      if (audit) this.auditTable.render(audit.entries);
      this.refreshes++;
      if (this.error?.code === 'NETWORK') this.showError(null);
      this.view.setStatus(`${this.view.nameInput.value.trim()}: ${count(workers.length, 'worker')}, ${count(calls.length, 'live call')} · updated ${clock(at)}`);
    } catch (err) {
      if (api !== this.api) return;
      if (readAudit) this.auditDue = true;
      this.fail(err);
      // A token that is not (or no longer) an admin's: polling would only repeat the error.
      if (isAuthError(errorCode(err))) this.signOut('Not signed in');
    }
  }

  // ------------------------------------------------------------------ actions

  private async addWorker(): Promise<void> {
    const api = this.api;
    if (!api) return;
    this.view.addWorkerButton.disabled = true;
    try {
      const w = await api.addWorker();
      this.view.setStatus(`Worker ${w.pid} started`);
    } catch (err) {
      this.fail(err, 'could not add a worker');
    } finally {
      this.view.addWorkerButton.disabled = false;
    }
    this.auditDue = true;
    await this.refresh();
  }

  private async drain({ pid, migrate }: WorkerAction): Promise<void> {
    const api = this.api;
    if (!api) return;
    this.workersTable.setPending(pid, true);
    try {
      const r = await api.drainWorker(pid, migrate);
      this.view.setStatus(migrate ? `Worker ${pid} draining; ${r.migratedCalls} calls moved` : `Worker ${pid} draining; it retires when its calls end`);
    } catch (err) {
      this.fail(err, `could not drain worker ${pid}`);
    } finally {
      this.workersTable.setPending(pid, false);
    }
    this.auditDue = true;
    await this.refresh();
  }

  private async drainNode(nodeId: string): Promise<void> {
    const api = this.api;
    if (!api) return;
    if (!window.confirm(`Drain node ${nodeId}? Its calls move to other nodes now; their participants reconnect their media.`)) return;
    this.nodesTable.setPending(nodeId, true);
    try {
      const r = await api.drainNode(nodeId);
      this.view.setStatus(`Node ${nodeId} draining; ${count(r.moved, 'call')} moved${r.remaining ? `, ${r.remaining} left (no other node could take them)` : ''}`);
    } catch (err) {
      this.fail(err, `could not drain node ${nodeId}`);
    } finally {
      this.nodesTable.setPending(nodeId, false);
    }
    this.auditDue = true;
    await this.refresh();
  }

  private async forceEnd(callId: string): Promise<void> {
    const api = this.api;
    if (!api) return;
    if (!window.confirm(`End call ${callId} for everyone in it?`)) return;
    this.callsTable.setPending(callId, true);
    try {
      await api.endCall(callId);
      this.view.setStatus(`Call ${callId} force-ended`);
    } catch (err) {
      this.fail(err, 'could not end the call');
    } finally {
      this.callsTable.setPending(callId, false);
    }
    this.auditDue = true;
    await this.refresh();
  }

  // ------------------------------------------------------------------ helpers

  private setState(state: AdminState, status?: string): void {
    this.state = state;
    this.view.showState(state);
    if (status !== undefined) this.view.setStatus(status);
  }

  private showError(code: string | null, message = ''): void {
    this.error = code === null ? null : { code, message };
    this.view.showError(code, message);
  }

  private fail(err: unknown, context?: string): void {
    console.warn('[hearth admin]', context ?? '', err);
    const message = err instanceof Error ? err.message : String(err);
    this.showError(errorCode(err), context ? `${context}: ${message}` : message);
  }
}
