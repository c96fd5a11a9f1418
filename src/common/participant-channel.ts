import type { ServerEventName, ServerEvents } from '../signaling/catalogue';

/**
 * How the domain reaches people: by user (every device) or by one socket, never a socket
 * object. Implemented by signaling/ (socket.io rooms); used by calls/ and presence/.
 */
export interface ParticipantChannel {
  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEvents[E]): void;
  toSocket<E extends ServerEventName>(socketId: string, event: E, payload: ServerEvents[E]): void;
  /** To every device of a user except one (e.g. the device that answered). */
  toUserExcept<E extends ServerEventName>(userId: string, socketId: string, event: E, payload: ServerEvents[E]): void;
  /** To every connected client (presence changes). */
  broadcast<E extends ServerEventName>(event: E, payload: ServerEvents[E]): void;
}
export const PARTICIPANT_CHANNEL = Symbol('PARTICIPANT_CHANNEL');
