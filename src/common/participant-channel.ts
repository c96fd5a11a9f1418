/** Event name -> payload, as each domain module declares what it sends. */
export type Audience = 'members' | 'staff';
export type EventMap = object;

/**
 * How the domain reaches people: by user (every device) or by one socket, never a socket
 * object. Each module types it with the events it sends (calls/: CallEvents, presence/:
 * PresenceEvents); signaling/ implements it for the whole catalogue over socket.io rooms.
 */
export interface ParticipantChannel<M extends EventMap> {
  toUser<E extends keyof M & string>(userId: string, event: E, payload: M[E]): void;
  toSocket<E extends keyof M & string>(socketId: string, event: E, payload: M[E]): void;
  /** To every device of a user except some (e.g. the device that answered). */
  toUserExcept<E extends keyof M & string>(userId: string, socketIds: string | string[], event: E, payload: M[E]): void;
  /** To every connected member (never session guests), or to staff (hosts and admins) only. */
  toAudience<E extends keyof M & string>(audience: Audience, event: E, payload: M[E]): void;
  /** Closes one socket if it is connected to this gateway: its device reconnects (and rejoins), as after any drop. */
  dropSocket(socketId: string): void;
}
export const PARTICIPANT_CHANNEL = Symbol('PARTICIPANT_CHANNEL');
