/**
 * The read-only view of the admin page that the browser tests read from `window.__hearthAdmin`.
 * Types only and no DOM types, so the Node-side tests can import it too.
 */
import type { AdminCall, AdminNode, AdminWorker, AuditEntry } from './types';

export type AdminState = 'signed-out' | 'signing-in' | 'signed-in';

export interface AdminErrorView {
  code: string;
  message: string;
}

/** One line of the CPU chart, read from the Chart.js instance. */
export interface CpuSeriesView {
  pid: number;
  /** Data points in the chart (null ones, for samples without a value, included). */
  points: number;
  /** The last value plotted (null: none yet, e.g. the server's first CPU read). */
  last: number | null;
}

/** One bar group of the load chart, read from the Chart.js instance. */
export interface LoadBarView {
  pid: number;
  consumers: number;
  producers: number;
}

export interface HearthAdminDebug {
  readonly state: AdminState;
  /** Completed refreshes (nodes, workers, calls and audit loaded) since signing in. */
  readonly refreshes: number;
  /** The error on show, or null. */
  readonly error: AdminErrorView | null;
  /** The nodes, workers and calls of the last refresh. */
  nodes(): AdminNode[];
  workers(): AdminWorker[];
  calls(): AdminCall[];
  /** The audit entries on show, newest first. */
  audit(): AuditEntry[];
  /** Samples on the CPU chart's time axis (the Chart.js instance's labels). */
  cpuSamples(): number;
  cpuSeries(): CpuSeriesView[];
  loadBars(): LoadBarView[];
}
