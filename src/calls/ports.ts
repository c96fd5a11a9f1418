import type { CallEvent } from './live-call';
import type { ParticipantRole } from './call-states';
// Identity and the participant channel live in common/ (presence/ uses them too); re-exported for the domain.
export type { Identity } from '../common/identity';
import type { Identity } from '../common/identity';

/** The caller of a request: who, and from which device. */
export interface Actor extends Identity {
  socketId: string;
  /** The gateway node that socket is connected to (several gateways on one Redis). */
  nodeId?: string;
}
import type { ParticipantChannel } from '../common/participant-channel';
import type { CallEvents } from './call-messages';
export { PARTICIPANT_CHANNEL } from '../common/participant-channel';
/** The call domain's way out to devices, typed with the events it sends. */
export type CallChannel = ParticipantChannel<CallEvents>;


export interface CallParticipantRecord {
  userId: string;
  role: ParticipantRole;
  state: string;
  joinedAt: Date | null;
  leftAt: Date | null;
  leaveReason: string | null;
  audioEnabled: boolean;
  videoEnabled: boolean;
}

export interface CallRecord {
  id: string;
  initiatorId: string;
  media: 'audio' | 'video';
  conversationId: string | null;
  status: string;
  endReason: string | null;
  createdAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  /** No gateway hosts it any more, but it is not over (a session suspended as its gateway stopped). */
  suspended: boolean;
  participants: CallParticipantRecord[];
  /** Transitions since the previous record of this call, appended to the event log. */
  events: CallEvent[];
}

export interface CallHistoryEntry {
  callId: string;
  conversationId: string | null;
  initiatorId: string;
  media: 'audio' | 'video';
  status: string;
  reason: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  participants: { userId: string; role: ParticipantRole; joinedAt: Date | null; leftAt: Date | null; leaveReason: string | null; audioEnabled: boolean; videoEnabled: boolean }[];
}

/** A row of the event log as read back: the same shape the domain records. */
export type CallEventEntry = CallEvent;

export interface OpenCall {
  callId: string;
  ownerId: string | null;
  status: string;
  participantIds: string[];
  /** A scheduled session's call: when the session ends (it may be resumed until then). */
  sessionEndsAt: Date | null;
}

/** The durable record of calls. The domain computes every field; clients never report them. */
export interface CallLogStore {
  /** Upserts the call and its participants and appends its new events, in one transaction. */
  save(call: CallRecord, ownerId: string): Promise<void>;
  history(q: { userId?: string; conversationId?: string; limit: number }): Promise<CallHistoryEntry[]>;
  find(callId: string): Promise<(CallHistoryEntry & { events: CallEventEntry[] }) | null>;
  /** Calls the database still holds as not ended. */
  openCalls(): Promise<OpenCall[]>;
  /** Ends a call no live gateway owns: status, reason, times, participants and events, if still open (null: it was not). */
  endOrphan(callId: string, reason: 'failed' | 'missed' | 'time_limit' | 'node_lost'): Promise<{ durationSeconds: number } | null>;
  /** A session call no live gateway hosts: its people leave, its owner is cleared, the call stays resumable. */
  suspendOrphan(callId: string, reason: string): Promise<boolean>;
  heartbeat(instanceId: string): Promise<void>;
  /** A gateway stopping on purpose: it is no longer alive, at once (its calls were closed or suspended already). */
  retire(instanceId: string): Promise<void>;
  liveInstanceIds(seenWithinMs: number): Promise<string[]>;
}
export const CALL_LOG_STORE = Symbol('CALL_LOG_STORE');


/** What the call domain reports to metrics (implemented by the health module; no-op by default). */
export interface CallMetrics {
  /** call:initiate received -> call:incoming sent to every callee device. */
  ringLatency(seconds: number): void;
  /** call:join received -> join ack ready (router opened). */
  joinLatency(seconds: number): void;
  callEnded(reason: string): void;
  reconciled(action: 'db_call_ended' | 'stale_call_ended' | 'lock_released' | 'room_closed', count: number): void;
}
export const CALL_METRICS = Symbol('CALL_METRICS');
export const NO_METRICS: CallMetrics = { ringLatency() {}, joinLatency() {}, callEnded() {}, reconciled() {} };

/**
 * Which node hosts which call, when several gateways share one Redis. A call lives on the node
 * that created it (its owner), recorded with an epoch; only the holder of the current epoch may
 * act on it. One process alone owns every call it holds (`SINGLE_NODE`).
 */
export interface CallOwnership {
  readonly nodeId: string;
  /** Records this node as the owner of a new or reopened call: null when it is ours now, else the owner's node id. */
  claim(callId: string): Promise<string | null>;
  /** Whether this node may still act on the call (it holds the current epoch, and its lease is fresh). */
  holds(callId: string): boolean;
  /** The call ended here: its owner record goes. */
  release(callId: string): void;
  /** The call's state, mirrored for a takeover or a move (fenced: only the current owner's write lands). */
  mirror(callId: string, snapshot: unknown): void;
}
export const CALL_OWNERSHIP = Symbol('CALL_OWNERSHIP');

/** Thrown where a call turns out to be owned by another node: the edge relays the request there. */
export class OwnedElsewhere extends Error {
  constructor(readonly nodeId: string) {
    super(`call owned by node ${nodeId}`);
    this.name = 'OwnedElsewhere';
  }
}

export const singleNode = (nodeId: string): CallOwnership => ({
  nodeId,
  claim: async () => null,
  holds: () => true,
  release() {},
  mirror() {},
});
