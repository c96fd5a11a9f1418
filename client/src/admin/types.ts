/**
 * The admin REST API's shapes, as they arrive over JSON (dates are ISO strings). Types only and
 * no DOM types, so the Node-side tests can import them too.
 */

/** `GET /api/admin/workers`: one media worker. */
export interface AdminWorker {
  pid: number;
  state: 'active' | 'draining';
  /** Share of one core since the server's previous read; null on the first read. */
  cpuPercent: number | null;
  cpuTimeMs: number;
  maxRssKb: number | null;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}

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
