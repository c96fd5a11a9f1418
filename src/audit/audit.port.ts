/**
 * The operator audit log: who did what to which target, when, and how it went. Admin actions
 * record here (and, later, invite revocation in sessions/); persistence/ implements it.
 * Types only, apart from the token and the action names: the admin page imports the types.
 */

/** Every audited action. `invite.revoke` is for sessions/ (revoking a session's invites). */
export const AUDIT_ACTIONS = ['worker.add', 'worker.drain', 'call.force_end', 'invite.revoke', 'node.drain'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'ok' | 'failed';

/** Small facts about the action (a drain's migrate flag, how many calls moved); never names, tokens or addresses. */
export type AuditDetail = Record<string, string | number | boolean | null>;

/** What a caller records; the time is the store's. */
export interface AuditRecord {
  /** The acting user's id (an admin's, or a host's for invite revocation). */
  actorId: string;
  action: AuditAction;
  /** What it was done to: a worker pid, a call id, a session id; null when there was none (a failed add). */
  target: string | null;
  outcome: AuditOutcome;
  /** The domain error code of a failed action (NOT_FOUND, UNAVAILABLE, …). */
  errorCode?: string | null;
  detail?: AuditDetail | null;
}

/** One entry as read back. */
export interface AuditEntry {
  /** Opaque; entries are paged by it. */
  id: string;
  at: Date;
  actorId: string;
  action: AuditAction;
  target: string | null;
  outcome: AuditOutcome;
  errorCode: string | null;
  detail: AuditDetail | null;
}

/** `GET /api/admin/audit`: newest first; pass `nextCursor` as `before` for the next page (null: no more). */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

export interface AuditQuery {
  /** A cursor from a previous page: only entries older than it. */
  before?: string;
  limit: number;
}

export interface AuditLog {
  record(entry: AuditRecord): Promise<void>;
  page(query: AuditQuery): Promise<AuditPage>;
}
export const AUDIT_LOG = Symbol('AUDIT_LOG');
