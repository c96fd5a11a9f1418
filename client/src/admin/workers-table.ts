import { KeyedRows } from './keyed-rows';
import type { AdminWorker } from './types';

export type WorkerAction = { pid: number; migrate: boolean };

const fmtCpu = (w: AdminWorker) => (w.cpuPercent === null ? '…' : `${w.cpuPercent.toFixed(1)} %`);
const fmtSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtMemory = (kb: number | null) => (kb === null ? '–' : `${(kb / 1024).toFixed(0)} MB`);

/** The worker table: a row per pid with its load, and Drain / Drain and move calls. */
export class WorkersTable {
  private readonly rows: KeyedRows;
  private readonly pending = new Set<number>();

  constructor(
    body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
    onDrain: (action: WorkerAction) => void,
  ) {
    this.rows = new KeyedRows(body, 'worker-row', 'pid', (action, key) => onDrain({ pid: Number(key), migrate: action === 'drain-migrate' }));
  }

  /** Disables a worker's buttons while its drain request runs. */
  setPending(pid: number, pending: boolean): void {
    if (pending) this.pending.add(pid);
    else this.pending.delete(pid);
    for (const action of ['drain', 'drain-migrate']) {
      const button = this.rows.button(String(pid), action);
      if (button && pending) button.disabled = true;
    }
  }

  render(workers: readonly AdminWorker[]): void {
    const sorted = [...workers].sort((a, b) => a.pid - b.pid);
    this.empty.hidden = sorted.length > 0;
    this.rows.render(
      sorted.map((w) => {
        const locked = w.state === 'draining' || this.pending.has(w.pid);
        return {
          key: String(w.pid),
          attributes: { state: w.state },
          cells: [
            { field: 'pid', text: String(w.pid), testId: 'worker-pid' },
            { field: 'state', text: w.state, testId: 'worker-state' },
            { field: 'cpu', text: fmtCpu(w), title: 'share of one core since the previous read' },
            { field: 'cpu-time', text: fmtSeconds(w.cpuTimeMs) },
            { field: 'memory', text: fmtMemory(w.maxRssKb), title: 'peak resident memory' },
            { field: 'routers', text: String(w.routers), testId: 'worker-routers' },
            { field: 'transports', text: String(w.transports) },
            { field: 'producers', text: String(w.producers) },
            { field: 'consumers', text: String(w.consumers), testId: 'worker-consumers' },
            { field: 'drain', button: { label: 'Drain', action: 'drain', testId: 'drain', disabled: locked, title: 'no new calls; retires once its calls end' } },
            {
              field: 'drain-migrate',
              button: { label: 'Drain and move calls', action: 'drain-migrate', testId: 'drain-migrate', disabled: locked, title: 'moves its calls to other workers now; participants reconnect their media' },
            },
          ],
        };
      }),
    );
  }
}
