export interface SessionRecord {
  id: string;
  callId: string;
  title: string;
  hostIds: string[];
  startsAt: Date;
  durationMinutes: number;
  lobby: boolean;
  maxParticipants: number;
  locked: boolean;
  status: 'scheduled' | 'cancelled' | 'ended';
  inviteVersion: number;
  /** Removed or denied people: never admitted again. */
  blockedIds: string[];
  createdBy: string;
}

export interface SessionStore {
  /** Creates the session and its call row (kind `session`, status `initiated`) in one transaction. */
  create(s: SessionRecord): Promise<void>;
  find(id: string): Promise<SessionRecord | null>;
  list(q: { hostId?: string }): Promise<SessionRecord[]>;
  update(id: string, patch: Partial<Pick<SessionRecord, 'title' | 'hostIds' | 'startsAt' | 'durationMinutes' | 'lobby' | 'maxParticipants' | 'locked' | 'inviteVersion'>>): Promise<void>;
  /** Cancels the session and ends its call as `cancelled`, with the event in the log. */
  cancel(id: string, actorId: string): Promise<void>;
  addGuest(g: { id: string; sessionId: string; name: string; invitedAs: string | null; inviteId: string }): Promise<void>;
}
export const SESSION_STORE = Symbol('SESSION_STORE');

/** An invite link: shared, or for one person (one exchange); revocable. */
export interface InviteRecord {
  id: string;
  sessionId: string;
  forUserId: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
  closedAt: Date | null;
  revokedAt: Date | null;
}

export interface InviteStore {
  create(i: Pick<InviteRecord, 'id' | 'sessionId' | 'forUserId' | 'createdBy' | 'expiresAt'>): Promise<void>;
  find(id: string): Promise<InviteRecord | null>;
  /** Newest first. */
  list(sessionId: string): Promise<InviteRecord[]>;
  /**
   * One exchange of the invite by `guestId`: refused (false) once it is revoked or closed, and
   * for a per-person invite once it was used. Atomic: of two racing exchanges, one wins.
   */
  claim(id: string, guestId: string): Promise<boolean>;
  /** False when it was revoked already (or is not this session's). */
  revoke(sessionId: string, id: string, actorId: string): Promise<boolean>;
}
export const INVITE_STORE = Symbol('INVITE_STORE');
