import type { WorkerStats } from './media.types';

/**
 * What operators (admin/) and health checks (health/) may see and do with the media layer:
 * workers and where a call's media lives. The pool and the rooms stay private to media/.
 */
export interface MediaOperations {
  /** Per-worker load and resource use. */
  workerStats(): Promise<WorkerStats[]>;
  /** Starts one more worker; UNAVAILABLE when its port cannot be bound. */
  addWorker(): Promise<WorkerStats>;
  /** No new calls on the worker; with `migrate`, its calls move now (clients reconnect media). NOT_FOUND for an unknown pid. */
  drainWorker(pid: number, migrate: boolean): Promise<{ pid: number; state: string; migratedCalls: number }>;
  /** Workers that are alive. */
  liveWorkerCount(): number;
  /** The pid of the worker hosting a call's media, or null (no room, or moving after a worker died). */
  workerOf(callId: string): number | null;
}

export const MEDIA_OPERATIONS = Symbol('MEDIA_OPERATIONS');
