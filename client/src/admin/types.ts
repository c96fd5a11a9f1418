/**
 * The admin REST API's shapes, as they arrive over JSON (dates are ISO strings). Types only and
 * no DOM types, so the Node-side tests can import them too.
 */

/** `GET /api/admin/workers`: one media worker (the server's own type). */
export type { WorkerStats as AdminWorker } from '../../../src/media/media.types';

export interface AdminParticipant {
  userId: string;
  state: string;
  audioEnabled: boolean;
  videoEnabled: boolean;
}

/** `GET /api/admin/calls`: one live call. */
export interface AdminCall {
  callId: string;
  status: string;
  initiatorId: string;
  media: 'audio' | 'video';
  createdAt: string;
  answeredAt: string | null;
  /** The worker hosting the call's media, or null when it has none (ringing, or moving). */
  workerPid: number | null;
  participants: AdminParticipant[];
}

/** `POST /api/admin/workers/:pid/drain`. */
export interface DrainResult {
  pid: number;
  state: string;
  migratedCalls: number;
}
