import type { CallStatus, EndReason, MediaKind, ParticipantState } from '../signaling/catalogue';
import type { CallRecord } from './ports';

const CALL_NEXT: Record<CallStatus, readonly CallStatus[]> = {
  initiated: ['ringing', 'active', 'ended'],
  ringing: ['active', 'ended'],
  active: ['ended'],
  ended: [],
};

// `reconnecting -> joined` is the one edge that looks back: it is a seat restored within the grace.
const PARTICIPANT_NEXT: Record<ParticipantState, readonly ParticipantState[]> = {
  invited: ['ringing', 'joined', 'left'],
  ringing: ['joined', 'left'],
  joined: ['reconnecting', 'left'],
  reconnecting: ['joined', 'left'],
  left: [],
};

export type LeaveReason = 'left' | 'declined' | 'cancelled' | 'missed' | 'connection_lost' | 'call_ended' | 'removed';

export class CallParticipant {
  state: ParticipantState = 'invited';
  joinedAt: Date | null = null;
  leftAt: Date | null = null;
  leaveReason: LeaveReason | null = null;
  /** The device (socket) that holds the seat once joined. */
  socketId: string | null = null;
  graceTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly userId: string,
    public name: string,
    readonly role: 'initiator' | 'callee',
  ) {}

  /** The one way a participant changes state. Returns false (and changes nothing) for a refused move. */
  transition(to: ParticipantState, now = new Date()): boolean {
    if (!PARTICIPANT_NEXT[this.state].includes(to)) return false;
    this.state = to;
    if (to === 'joined' && !this.joinedAt) this.joinedAt = now;
    if (to === 'left') this.leftAt = now;
    return true;
  }

  get present(): boolean {
    return this.state === 'joined' || this.state === 'reconnecting';
  }

  get pending(): boolean {
    return this.state === 'invited' || this.state === 'ringing';
  }
}

export class CallSession {
  status: CallStatus = 'initiated';
  endReason: EndReason | null = null;
  readonly createdAt = new Date();
  answeredAt: Date | null = null;
  endedAt: Date | null = null;
  readonly participants = new Map<string, CallParticipant>();
  ringTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly initiatorId: string,
    readonly media: MediaKind,
    readonly conversationId: string | null,
  ) {}

  /** The one way a call changes status: forward only; a refused move changes nothing. */
  transition(to: CallStatus, reason?: EndReason, now = new Date()): boolean {
    if (!CALL_NEXT[this.status].includes(to)) return false;
    this.status = to;
    if (to === 'active') this.answeredAt = now;
    if (to === 'ended') {
      this.endedAt = now;
      this.endReason = reason ?? 'failed';
    }
    return true;
  }

  get isGroup(): boolean {
    return this.participants.size > 2;
  }

  get durationSeconds(): number {
    if (!this.answeredAt) return 0;
    return Math.max(0, Math.round(((this.endedAt ?? new Date()).getTime() - this.answeredAt.getTime()) / 1000));
  }

  others(userId: string): CallParticipant[] {
    return [...this.participants.values()].filter((p) => p.userId !== userId);
  }

  toRecord(): CallRecord {
    return {
      id: this.id,
      initiatorId: this.initiatorId,
      media: this.media,
      conversationId: this.conversationId,
      status: this.status,
      endReason: this.endReason,
      createdAt: this.createdAt,
      answeredAt: this.answeredAt,
      endedAt: this.endedAt,
      durationSeconds: this.status === 'ended' ? this.durationSeconds : null,
      participants: [...this.participants.values()].map((p) => ({
        userId: p.userId,
        role: p.role,
        state: p.state,
        joinedAt: p.joinedAt,
        leftAt: p.leftAt,
        leaveReason: p.leaveReason,
      })),
    };
  }
}
