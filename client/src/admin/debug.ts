import type { AdminApp } from './admin-app';
import type { HearthAdminDebug } from './debug-api';

declare global {
  interface Window {
    readonly __hearthAdmin: HearthAdminDebug;
  }
}

/** Exposes a read-only view of the admin page (charts read from their Chart.js instances) for tests and the console. */
export function installAdminDebug(app: AdminApp): void {
  const debug: HearthAdminDebug = {
    get state() {
      return app.state;
    },
    get refreshes() {
      return app.refreshes;
    },
    get error() {
      return app.error ? { ...app.error } : null;
    },
    nodes: () => app.nodes.map((n) => ({ ...n })),
    workers: () => app.workers.map((w) => ({ ...w })),
    calls: () => app.calls.map((c) => ({ ...c, participants: c.participants.map((p) => ({ ...p })) })),
    audit: () => app.audit.map((e) => ({ ...e, detail: e.detail ? { ...e.detail } : null })),
    cpuSamples: () => app.cpu.samples(),
    cpuSeries: () => app.cpu.series(),
    loadBars: () => app.load.bars(),
  };
  Object.defineProperty(window, '__hearthAdmin', { value: Object.freeze(debug), enumerable: false });
}
