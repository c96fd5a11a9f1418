import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../src/common/ack';
import { UNAUTHORIZED_MESSAGE, type CallJoinAck, type CallWaitingAck, type ClientRequests, type ServerEventName, type ServerEvents } from '../../src/signaling/catalogue';
import { ServerError } from './errors';

export { describeError, errorCode } from './errors';
export { fetchDevToken } from './dev-token';

/** Payload and ack data of each client→server request: the catalogue's map. */
export type Requests = ClientRequests;

/** True for the answer to `call:join` of a session guest held in the waiting room. */
export function isWaiting(ack: CallJoinAck | CallWaitingAck): ack is CallWaitingAck {
  return (ack as CallWaitingAck).state === 'waiting';
}
export type RequestName = keyof Requests;

/** A failed socket request: the server's error code, or TIMEOUT / NETWORK for local failures. */
export class SignalingError extends ServerError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'SignalingError';
  }
}

export type ConnectionListener = (connected: boolean, reason: string) => void;

/** The socket.io connection with typed requests (ack envelope unwrapped) and typed server events. */
export class Signaling {
  private constructor(private readonly socket: Socket) {}

  static connect(token: string, origin = window.location.origin): Promise<Signaling> {
    // Batched presence: a directory of a whole clinic costs one frame per interval, not one per change.
    const socket = io(origin, { auth: { token, presence: 'batched' }, transports: ['websocket'] });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('connect_error');
        resolve(new Signaling(socket));
      });
      socket.once('connect_error', (err: Error) => {
        socket.close();
        const code = err.message === UNAUTHORIZED_MESSAGE ? 'UNAUTHORIZED' : 'NETWORK';
        reject(new SignalingError(code, err.message));
      });
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  async request<E extends RequestName>(event: E, payload: Requests[E][0], timeoutMs = 10_000): Promise<Requests[E][1]> {
    if (!this.socket.connected) throw new SignalingError('NETWORK', `${event}: not connected`);
    let ack: Ack<Requests[E][1]>;
    try {
      ack = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<Requests[E][1]>;
    } catch {
      throw new SignalingError('TIMEOUT', `${event}: no answer from the server`);
    }
    if (!ack.ok) {
      const { code, message, ...details } = ack.error;
      throw new SignalingError(code, message, details);
    }
    return ack.data;
  }

  on<E extends ServerEventName>(event: E, handler: (payload: ServerEvents[E]) => void): void {
    this.socket.on(event as string, handler as (payload: unknown) => void);
  }

  onConnection(listener: ConnectionListener): void {
    this.socket.on('disconnect', (reason: string) => listener(false, reason));
    this.socket.io.on('reconnect', () => listener(true, 'reconnected'));
  }

  /** Closes the connection for good, without reporting it to the listeners. */
  disconnect(): void {
    this.socket.off();
    this.socket.io.off();
    this.socket.close();
  }
}
