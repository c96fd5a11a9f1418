import type { ServerEventName, ServerEvents } from '../signaling/catalogue';

/** How the call domain reaches people: by user (every device) or by one socket. Never a socket object. */
export interface ParticipantChannel {
  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEvents[E]): void;
  toSocket<E extends ServerEventName>(socketId: string, event: E, payload: ServerEvents[E]): void;
  /** To every connected client (presence changes). */
  broadcast<E extends ServerEventName>(event: E, payload: ServerEvents[E]): void;
}
export const PARTICIPANT_CHANNEL = Symbol('PARTICIPANT_CHANNEL');

export interface CallParticipantRecord {
  userId: string;
  role: 'initiator' | 'callee';
  state: string;
  joinedAt: Date | null;
  leftAt: Date | null;
  leaveReason: string | null;
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
  participants: CallParticipantRecord[];
}

/** The durable record of calls. The domain computes every field; clients never report them. */
export interface CallLogStore {
  save(call: CallRecord): Promise<void>;
}
export const CALL_LOG_STORE = Symbol('CALL_LOG_STORE');

export interface Identity {
  userId: string;
  name: string;
  role: 'member' | 'host' | 'admin';
}
