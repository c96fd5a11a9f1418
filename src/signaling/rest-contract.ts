/**
 * The REST bodies of the contract, in the server's own terms (dates as Date). The client reads
 * them through `Json<T>`, the same shapes after JSON (dates as ISO strings), and keeps no copies.
 * Types only: the browser bundle imports this module.
 */
import type { CallStatus, ParticipantState } from '../calls/call-states';
import type { MediaKind } from '../media/media.types';
import type { SessionRecord } from '../sessions/ports';

/** A body after JSON: every Date becomes its ISO string. */
export type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** `GET /api/admin/calls`: one participant of a live call. */
export interface AdminParticipant {
  userId: string;
  state: ParticipantState;
  audioEnabled: boolean;
  videoEnabled: boolean;
}

/** `GET /api/admin/calls`: one live call. */
export interface AdminCall {
  callId: string;
  status: CallStatus;
  initiatorId: string;
  media: MediaKind;
  createdAt: Date;
  answeredAt: Date | null;
  /** The gateway node hosting the call (extension; one gateway: its own id). */
  nodeId: string;
  /** The worker hosting the call's media on that node, or null when it has none (ringing, or moving). */
  workerPid: number | null;
  participants: AdminParticipant[];
}

/** `GET /api/admin/nodes`: one gateway node of the deployment, as the registry holds it. */
export interface AdminNode {
  nodeId: string;
  /** The address its workers' ICE candidates carry. */
  mediaAddress: string;
  workers: number;
  /** Calls it hosts, and people seated in them. */
  calls: number;
  peers: number;
  state: 'serving' | 'draining';
  startedAt: string;
  /** Its last heartbeat. */
  at: string;
  /** Heart-beating within NODE_TTL_SECONDS. */
  alive: boolean;
  /** The node that answered this request. */
  self: boolean;
}

/** `POST /api/admin/nodes/:nodeId/drain`. */
export interface NodeDrainResult {
  nodeId: string;
  state: 'serving' | 'draining';
  moved: number;
  remaining: number;
}

/** `POST /api/admin/workers/:pid/drain`. */
export interface DrainResult {
  pid: number;
  state: string;
  migratedCalls: number;
}

/** `GET /api/sessions`, `GET`/`PATCH /api/sessions/:id`: a scheduled therapy session. */
export interface SessionView extends Omit<SessionRecord, 'inviteVersion' | 'blockedIds'> {
  sessionId: string;
  endsAt: Date;
}

/** `POST /api/sessions` body (`PATCH` takes any of these, and `locked`). Checked against the server's schema. */
export interface ScheduleSessionRequest {
  title: string;
  /** ISO 8601. */
  startsAt: string;
  durationMinutes: number;
  lobby?: boolean;
  maxParticipants?: number;
  hostIds?: string[];
}

/** `POST /api/sessions/:id/invites` body: for one person (one exchange), or shared. */
export interface InviteRequest {
  forUserId?: string;
  expiresInSeconds?: number;
}

/** `POST /api/sessions/:id/guest-token` body. */
export interface GuestTokenRequest {
  invite: string;
  name: string;
}

/** `POST /api/sessions`: the new session and its shared invite link. */
export type ScheduledSession = SessionView & { inviteUrl: string };

/** `GET /api/admin/audit`: operator actions and invite revocations, newest first. */
export type { AuditEntry, AuditPage } from '../audit/audit.port';

/** `POST /api/sessions/:id/invites`. */
export interface InviteResponse {
  /** Extension: for listing and revoking it. */
  inviteId: string;
  inviteUrl: string;
  invite: string;
  expiresAt: Date;
}

/**
 * `GET /api/sessions/:id/invites` (extension): every invite of the session, newest first.
 * `active`: takes exchanges; `used`: a per-person invite already exchanged; `closed`: someone who
 * came with it was removed or denied, so it takes no new exchange; `revoked`: admits nobody,
 * not even guests who came with it; `expired`.
 */
export interface InviteView {
  inviteId: string;
  forUserId: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  state: 'active' | 'used' | 'closed' | 'revoked' | 'expired';
}

/** `POST /api/sessions/:id/guest-token`: a token good for that session's call only. */
export interface GuestTokenResponse {
  token: string;
  userId: string;
  callId: string;
}
