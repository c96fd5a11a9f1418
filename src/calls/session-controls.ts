import type { LongTimer } from '../common/long-timer';

/** What the call domain needs to know about a scheduled session to host its call. */
export interface SessionInfo {
  sessionId: string;
  callId: string;
  createdBy: string;
  hostIds: string[];
  lobby: boolean;
  locked: boolean;
  maxParticipants: number;
  startsAt: Date;
  durationMinutes: number;
  status: 'scheduled' | 'cancelled' | 'ended';
  /** Invites of an older version admit nobody. */
  inviteVersion: number;
  /** Removed or denied: never admitted again. */
  blockedIds: string[];
  /** Its call as on record: `active` when it ran before (and its gateway stopped or died), so it resumes. */
  callStatus: 'initiated' | 'ringing' | 'active' | 'ended';
  answeredAt: Date | null;
}

/** Sessions as the call domain reads and changes them (implemented by persistence). */
export interface SessionDirectory {
  byCallId(callId: string): Promise<SessionInfo | null>;
  setLocked(sessionId: string, locked: boolean): Promise<void>;
  setDuration(sessionId: string, durationMinutes: number): Promise<void>;
  markEnded(sessionId: string): Promise<void>;
}
export const SESSION_DIRECTORY = Symbol('SESSION_DIRECTORY');

/** Who may still come in with a guest token (implemented by persistence). */
export interface SessionAdmissions {
  /** Whether the invite a guest came with still admits them (not revoked). */
  inviteValid(inviteId: string): Promise<boolean>;
  /** Out for good: the person is never admitted again, and the invite they came with takes no new exchange. */
  block(sessionId: string, userId: string, inviteId: string | null): Promise<void>;
}
export const SESSION_ADMISSIONS = Symbol('SESSION_ADMISSIONS');

/** The live rules of one session's call: hosts, the waiting room, admissions, removals, the clock. */
export class SessionControls {
  hostIds: Set<string>;
  readonly admitted = new Set<string>();
  /** Denied or removed: cannot come back into this session (persisted: SessionAdmissions.block). */
  readonly blocked: Set<string>;
  /** Guests' invites, by guest id: what a removal closes and a revocation looks for. */
  readonly guestInvites = new Map<string, string>();
  readonly lobbyTimers = new Map<string, LongTimer>();
  clockTimers: LongTimer[] = [];
  endsAt: Date;
  /** Locked: nobody new gets in (not even into the waiting room). */
  locked: boolean;

  constructor(public info: SessionInfo) {
    this.hostIds = new Set(info.hostIds);
    this.blocked = new Set(info.blockedIds);
    this.locked = info.locked;
    this.endsAt = endOf(info);
  }

  isHost(userId: string): boolean {
    return this.hostIds.has(userId);
  }

  /** When non-hosts may first come in. */
  opensAt(earlyMinutes: number): Date {
    return new Date(this.info.startsAt.getTime() - earlyMinutes * 60_000);
  }

  clearTimers(): void {
    for (const t of this.lobbyTimers.values()) t.clear();
    this.lobbyTimers.clear();
    for (const t of this.clockTimers) t.clear();
    this.clockTimers = [];
  }
}

export const endOf = (s: Pick<SessionInfo, 'startsAt' | 'durationMinutes'>): Date => new Date(s.startsAt.getTime() + s.durationMinutes * 60_000);
