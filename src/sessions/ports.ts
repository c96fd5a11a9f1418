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
  addGuest(g: { id: string; sessionId: string; name: string; invitedAs: string | null }): Promise<void>;
}
export const SESSION_STORE = Symbol('SESSION_STORE');
