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
}

/** Sessions as the call domain reads and changes them (implemented by persistence). */
export interface SessionDirectory {
  byCallId(callId: string): Promise<SessionInfo | null>;
  setLocked(sessionId: string, locked: boolean): Promise<void>;
  setDuration(sessionId: string, durationMinutes: number): Promise<void>;
  markEnded(sessionId: string): Promise<void>;
}
export const SESSION_DIRECTORY = Symbol('SESSION_DIRECTORY');

/** The live rules of one session's call: hosts, the waiting room, admissions, removals, the clock. */
export class SessionControls {
  readonly hostIds: Set<string>;
  readonly admitted = new Set<string>();
  /** Denied or removed: cannot come back into this session. */
  readonly blocked = new Set<string>();
  readonly lobbyTimers = new Map<string, NodeJS.Timeout>();
  clockTimers: NodeJS.Timeout[] = [];
  endsAt: Date;
  /** Locked: nobody new gets in (not even into the waiting room). */
  locked: boolean;

  constructor(readonly info: SessionInfo) {
    this.hostIds = new Set(info.hostIds);
    this.locked = info.locked;
    this.endsAt = new Date(info.startsAt.getTime() + info.durationMinutes * 60_000);
  }

  isHost(userId: string): boolean {
    return this.hostIds.has(userId);
  }

  clearTimers(): void {
    for (const t of this.lobbyTimers.values()) clearTimeout(t);
    this.lobbyTimers.clear();
    for (const t of this.clockTimers) clearTimeout(t);
    this.clockTimers = [];
  }
}
