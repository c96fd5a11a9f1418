import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../src/common/ack';
import {
  C2S,
  UNAUTHORIZED_MESSAGE,
  type CallInitiateAck,
  type CallInitiateRequest,
  type CallJoinAck,
  type CallWaitingAck,
  type CallRef,
  type ConnectTransportRequest,
  type ConsumeAck,
  type ConsumeRequest,
  type PresenceListAck,
  type CreateTransportRequest,
  type MediaSource,
  type ProduceRequest,
  type ServerEventName,
  type ServerEvents,
  type TransportAck,
} from '../../src/signaling/catalogue';
import { ServerError } from './errors';

export { describeError, errorCode } from './errors';
export { fetchDevToken } from './dev-token';

type Empty = Record<string, never>;
type ProducerRef = { producerId: string };
type CallUser = CallRef & { userId: string };

/** Payload and ack data of each client→server request, assembled from the catalogue's types. */
export interface Requests {
  [C2S.callInitiate]: [CallInitiateRequest, CallInitiateAck];
  [C2S.callJoin]: [CallRef, CallJoinAck | CallWaitingAck];
  [C2S.callDecline]: [CallRef, Empty];
  [C2S.callCancel]: [CallRef, Empty];
  [C2S.callLeave]: [CallRef, Empty];
  [C2S.callEnd]: [CallRef, Empty];
  [C2S.createTransport]: [CreateTransportRequest, TransportAck];
  [C2S.connectTransport]: [ConnectTransportRequest, Empty];
  [C2S.produce]: [ProduceRequest, ProducerRef];
  [C2S.consume]: [ConsumeRequest, ConsumeAck];
  [C2S.resumeConsumer]: [{ consumerId: string }, Empty];
  [C2S.pauseProducer]: [ProducerRef, Empty];
  [C2S.resumeProducer]: [ProducerRef, Empty];
  [C2S.closeProducer]: [ProducerRef, Empty];
  [C2S.restartIce]: [{ transportId: string }, { iceParameters: unknown; iceServers?: RTCIceServer[] }];
  [C2S.presenceList]: [Empty, PresenceListAck];
  [C2S.lobbyAdmit]: [CallUser, Empty];
  [C2S.lobbyAdmitAll]: [CallRef, { admitted: number }];
  [C2S.lobbyDeny]: [CallUser, Empty];
  [C2S.lobbySendBack]: [CallUser, Empty];
  [C2S.hostMute]: [CallUser & { source: MediaSource }, { paused: number }];
  [C2S.hostRemove]: [CallUser, Empty];
  [C2S.hostLock]: [CallRef & { locked: boolean }, unknown];
  [C2S.sessionExtend]: [CallRef & { minutes: number }, { endsAt: string }];
}

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
    const socket = io(origin, { auth: { token }, transports: ['websocket'] });
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
