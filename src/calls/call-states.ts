/**
 * The call domain's states and reasons, owned here: the event catalogue (and through it the
 * client) takes them from this module, never the reverse. Types and constants only, so the
 * browser bundle can import it.
 */

export const CALL_STATUSES = ['initiated', 'ringing', 'active', 'ended'] as const;
/** A call's status; it only moves forward (see live-call.ts). */
export type CallStatus = (typeof CALL_STATUSES)[number];

export const END_REASONS = ['completed', 'cancelled', 'declined', 'missed', 'connection_lost', 'force_ended', 'time_limit', 'failed', 'node_lost'] as const;
/** Why a call ended: persisted with it and sent in `call:ended`. */
export type EndReason = (typeof END_REASONS)[number];

export const PARTICIPANT_STATES = ['invited', 'ringing', 'waiting', 'joined', 'reconnecting', 'left'] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];

export const PARTICIPANT_ROLES = ['initiator', 'callee', 'host', 'guest'] as const;
/** A participant's part in one call (not the signed-in role of the person). */
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const LEAVE_REASONS = ['left', 'declined', 'cancelled', 'missed', 'connection_lost', 'call_ended', 'removed', 'denied', 'lobby_timeout'] as const;
/** Why a participant left a call: persisted with their seat. */
export type LeaveReason = (typeof LEAVE_REASONS)[number];

/** A host moved a participant from the call back to the session's waiting room (event log and `call:participant-left`). */
export const SENT_TO_LOBBY = 'sent_to_lobby';

/** `call:participant-left` reasons: they left the call, or were sent back to the waiting room. */
export type ParticipantLeftReason = LeaveReason | typeof SENT_TO_LOBBY;
