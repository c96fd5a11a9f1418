import type { MediaKind } from '../media/media.types';
import type { CallStatus, EndReason, LeaveReason, ParticipantRole, ParticipantState } from './call-states';
import type { CallRecord } from './ports';
import type { SessionControls } from './session-controls';

const CALL_NEXT: Record<CallStatus, readonly CallStatus[]> = {
  initiated: ['ringing', 'active', 'ended'],
  ringing: ['active', 'ended'],
  active: ['ended'],
  ended: [],
};

// `reconnecting -> joined` is the one edge that looks back: it is a seat restored within the grace.
// `joined -> waiting` is a host sending someone back to a session's waiting room.
const PARTICIPANT_NEXT: Record<ParticipantState, readonly ParticipantState[]> = {
  invited: ['ringing', 'waiting', 'joined', 'left'],
  ringing: ['joined', 'left'],
  waiting: ['joined', 'left'],
  joined: ['reconnecting', 'waiting', 'left'],
  reconnecting: ['joined', 'left'],
  left: [],
};

/** One row of the append-only event log: every transition of a call or a participant. */
export interface CallEvent {
  at: Date;
  /** `control`: a host action that is not a state change (mute, lock, extend). */
  subject: 'call' | 'participant' | 'control';
  userId: string | null;
  from: string;
  to: string;
  reason: string | null;
  actorId: string | null;
}

export class CallParticipant {
  state: ParticipantState = 'invited';
  joinedAt: Date | null = null;
  leftAt: Date | null = null;
  leaveReason: LeaveReason | null = null;
  /** The device (socket) that holds the seat once joined. */
  socketId: string | null = null;
  /** The gateway node that device is connected to (null: this one, or unknown). */
  nodeId: string | null = null;
  /** Whether mic / camera are being sent (unpaused producers), kept for the record. */
  audioEnabled = false;
  videoEnabled = false;
  graceTimer: NodeJS.Timeout | null = null;
  /** Set by the call this participant belongs to: every transition lands in its event log. */
  record: (e: CallEvent) => void = () => undefined;

  constructor(
    readonly userId: string,
    public name: string,
    readonly role: ParticipantRole,
  ) {}

  /** The one way a participant changes state. Returns false (and changes nothing) for a refused move. */
  transition(to: ParticipantState, now = new Date(), reason: string | null = null, actorId: string | null = null): boolean {
    if (!PARTICIPANT_NEXT[this.state].includes(to)) return false;
    this.record({ at: now, subject: 'participant', userId: this.userId, from: this.state, to, reason, actorId });
    this.state = to;
    if (to === 'joined' && !this.joinedAt) this.joinedAt = now;
    if (to === 'left') this.leftAt = now;
    return true;
  }

  /** Devices that held this seat until another device of the same user took it: told nothing more of the call. */
  readonly displaced = new Set<string>();

  get present(): boolean {
    return this.state === 'joined' || this.state === 'reconnecting';
  }

  get pending(): boolean {
    return this.state === 'invited' || this.state === 'ringing';
  }

  /** Holds the user (busy) without a seat: rung, or in a session's waiting room. */
  get waiting(): boolean {
    return this.state === 'waiting';
  }
}

export class LiveCall {
  status: CallStatus = 'initiated';
  endReason: EndReason | null = null;
  answeredAt: Date | null = null;
  endedAt: Date | null = null;
  readonly participants = new Map<string, CallParticipant>();
  ringTimer: NodeJS.Timeout | null = null;
  /** Set for a scheduled session's call: hosts, waiting room and clock. */
  controls: SessionControls | null = null;
  /** Transitions not yet written to the event log (drained by the persistence path). */
  private pendingEvents: CallEvent[] = [];

  constructor(
    readonly id: string,
    readonly initiatorId: string,
    readonly media: MediaKind,
    readonly conversationId: string | null,
    readonly createdAt = new Date(),
  ) {}

  addParticipant(p: CallParticipant): void {
    p.record = (e) => this.pendingEvents.push(e);
    this.participants.set(p.userId, p);
  }

  /** Set as its gateway stops: it is on record as open with no owner, for another gateway to resume. */
  suspended = false;

  /** A session's call that ran before its gateway stopped: it goes on as answered then (its duration counts from there). */
  resume(answeredAt: Date | null): void {
    if (this.status !== 'initiated') return;
    this.status = 'active';
    this.answeredAt = answeredAt ?? new Date();
  }

  /** The one way a call changes status: forward only; a refused move changes nothing. */
  transition(to: CallStatus, reason?: EndReason, now = new Date(), actorId: string | null = null): boolean {
    if (!CALL_NEXT[this.status].includes(to)) return false;
    this.pendingEvents.push({ at: now, subject: 'call', userId: null, from: this.status, to, reason: to === 'ended' ? (reason ?? 'failed') : null, actorId });
    this.status = to;
    if (to === 'active') this.answeredAt = now;
    if (to === 'ended') {
      this.endedAt = now;
      this.endReason = reason ?? 'failed';
    }
    return true;
  }

  get isGroup(): boolean {
    return this.controls !== null || this.participants.size > 2;
  }

  get durationSeconds(): number {
    if (!this.answeredAt) return 0;
    return Math.max(0, Math.round(((this.endedAt ?? new Date()).getTime() - this.answeredAt.getTime()) / 1000));
  }

  others(userId: string): CallParticipant[] {
    return [...this.participants.values()].filter((p) => p.userId !== userId);
  }

  /** A host action that changes no state (mute, lock, extend, admit): still part of the record. */
  /** The hosts of a session call who are in it now. */
  presentHosts(): string[] {
    return [...this.participants.values()].filter((p) => p.present && this.controls?.isHost(p.userId)).map((p) => p.userId);
  }

  recordControl(action: string, userId: string | null, actorId: string | null, detail: string | null = null): void {
    this.pendingEvents.push({ at: new Date(), subject: 'control', userId, from: '', to: action, reason: detail, actorId });
  }

  takeEvents(): CallEvent[] {
    const events = this.pendingEvents;
    this.pendingEvents = [];
    return events;
  }

  toRecord(): CallRecord {
    return {
      events: this.takeEvents(),
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
      suspended: this.suspended,
      participants: [...this.participants.values()].map((p) => ({
        userId: p.userId,
        role: p.role,
        state: p.state,
        joinedAt: p.joinedAt,
        leftAt: p.leftAt,
        leaveReason: p.leaveReason,
        audioEnabled: p.audioEnabled,
        videoEnabled: p.videoEnabled,
      })),
    };
  }
}
