import { Inject, Logger, UseInterceptors } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { Actor } from '../calls/call.service';
import { CallRouting } from '../cluster/call-routing';
import type { Identity } from '../calls/ports';
import { DomainError } from '../common/domain-error';
import { isOutage } from '../common/outage';
import { WsAckInterceptor } from '../common/ws-ack.interceptor';
import { PresenceService } from '../presence/presence.service';
import { ZodValidationPipe as V } from '../common/zod-validation.pipe';
import { TokenVerifier } from './auth';
import { C2S, UNAUTHORIZED_MESSAGE } from './catalogue';
import { schemas } from './payload-schemas';
import type * as T from './catalogue';

/** What a handler for `E` may return: its ack data, or nothing for requests whose ack is empty. */
type Handled<E extends T.ClientRequestName> = T.AckOf<E> extends T.EmptyAck ? void | Promise<void> : T.AckOf<E> | Promise<T.AckOf<E>>;
import { audienceRoomsOf, SocketChannel, userRoom } from './socket-channel';
import { clientAddress, limitCallSetup, limitConnectAttempt, limitSocketEvents, limitUserConnection } from './socket-limits';
import { RateLimits } from '../limits/rate-limits';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import proxyaddr from 'proxy-addr';

/** The owner's answer to `E` as the handler returns it (nothing for an empty ack). */
type Routed<E extends T.ClientRequestName> = T.AckOf<E> extends T.EmptyAck ? void : T.AckOf<E>;
type AuthedSocket = Socket & { data: { user: Identity; callId?: string } };
const actor = (s: AuthedSocket): Actor => ({ ...s.data.user, socketId: s.id });

/** Thin edge: validate, identify, call one service method. Acks are shaped by WsAckInterceptor. */
@UseInterceptors(WsAckInterceptor)
@WebSocketGateway({ serveClient: false })
export class SignalingGateway implements OnGatewayInit<Server>, OnGatewayConnection<AuthedSocket>, OnGatewayDisconnect<AuthedSocket> {
  private readonly logger = new Logger('Signaling');

  constructor(
    private readonly routing: CallRouting,
    private readonly tokens: TokenVerifier,
    private readonly presence: PresenceService,
    @Inject(SocketChannel) private readonly channel: SocketChannel,
    private readonly limits: RateLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.trust = proxyaddr.compile(config.TRUST_PROXY);
  }

  private readonly trust: ReturnType<typeof proxyaddr.compile>;

  afterInit(server: Server): void {
    this.channel.attach(server);
    // Authenticate, then register the device before the client sees `connect`, so a call
    // placed the moment someone connects already finds them online.
    server.use((socket, next) => {
      this.admit(server, socket as AuthedSocket).then(
        () => next(),
        (err: unknown) => {
          if (!(err instanceof DomainError)) {
            // Redis (presence) or another part is down: say so, so the client retries.
            const outage = isOutage(err);
            if (outage) this.logger.warn({ err: (err as Error)?.message }, 'connection refused: a dependency is unavailable');
            else this.logger.error({ err: (err as Error)?.message }, 'connection setup failed');
            return next(new Error(outage ? 'UNAVAILABLE' : 'INTERNAL'));
          }
          // connect_error.message is UNAUTHORIZED (the contract), UNAVAILABLE when the identity provider's keys cannot be read,
          // or RATE_LIMITED (too many attempts, or too many open connections); data says why.
          const passThrough = err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED';
          const refused = new Error(passThrough ? err.code : UNAUTHORIZED_MESSAGE) as Error & { data?: unknown };
          const reason = err.details?.reason ?? (err.code === 'RATE_LIMITED' ? 'too_many_attempts' : undefined);
          refused.data = { reason, ...(err.details?.retryAfterMs ? { retryAfterMs: err.details.retryAfterMs } : {}) };
          next(refused);
        },
      );
    });
  }

  /** Limits, token, caps; then the device joins its rooms and presence before the client sees `connect`. */
  private async admit(server: Server, socket: AuthedSocket): Promise<void> {
    await limitConnectAttempt(this.limits, clientAddress(socket.request, this.trust));
    const user = await this.tokens.verify(socket.handshake.auth?.token);
    // Members' devices are counted across gateways (presence); a guest's sockets here (one session, one gateway).
    const open = user.scope ? (server.of('/').adapter.rooms.get(userRoom(user.userId))?.size ?? 0) : await this.presence.store.deviceCount(user.userId);
    await limitUserConnection(this.limits, user, open, this.config.MAX_SOCKETS_PER_USER);
    socket.data.user = user;
    limitSocketEvents(socket, this.limits, user, this.config.RATE_SOCKET_EVENTS.points, () =>
      this.logger.warn({ userId: user.userId }, 'socket disconnected: it kept sending past its rate limit'),
    );
    // A client that asked for batched presence gets `presence:batch` frames instead of one `presence:changed` per change.
    await socket.join([userRoom(user.userId), ...audienceRoomsOf(user, socket.handshake.auth?.presence === 'batched')]);
    await this.presence.deviceConnected(user, socket.id);
  }

  /**
   * Runs a call request where its call lives: here, or relayed to the call's owner node. Without
   * a call id in the payload, the call this socket last joined (or the user's current call).
   */
  private route<E extends T.ClientRequestName>(s: AuthedSocket, event: E, body: T.RequestOf<E>, callId?: string | null): Promise<Routed<E>> {
    return this.routing.request(event, actor(s), body, callId === undefined ? s.data.callId : callId) as Promise<Routed<E>>;
  }

  handleConnection(socket: AuthedSocket): void {
    this.logger.debug({ userId: socket.data.user.userId }, 'socket connected');
  }

  /** Never rejects: socket.io does not await it. */
  handleDisconnect(socket: AuthedSocket): void {
    const user = socket.data.user;
    if (!user) return;
    // The seat's grace starts on the call's owner, wherever that is.
    this.routing.request('disconnect', actor(socket), {}, socket.data.callId).catch((err: Error) => this.logger.error({ userId: user.userId, err: err.message }, 'disconnect handling failed'));
    this.presence.deviceDisconnected(user.userId, socket.id).catch((err: Error) => this.logger.error({ userId: user.userId, err: err.message }, 'presence update failed'));
  }

  @SubscribeMessage(C2S.lobbyAdmit)
  lobbyAdmit(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callUser)) b: { callId: string; userId: string }): Handled<typeof C2S.lobbyAdmit> {
    return this.route(s, C2S.lobbyAdmit, b, b.callId);
  }

  @SubscribeMessage(C2S.lobbyAdmitAll)
  lobbyAdmitAll(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Handled<typeof C2S.lobbyAdmitAll> {
    return this.route(s, C2S.lobbyAdmitAll, b, b.callId);
  }

  @SubscribeMessage(C2S.lobbyDeny)
  lobbyDeny(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callUser)) b: { callId: string; userId: string }): Handled<typeof C2S.lobbyDeny> {
    return this.route(s, C2S.lobbyDeny, b, b.callId);
  }

  @SubscribeMessage(C2S.lobbySendBack)
  lobbySendBack(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callUser)) b: { callId: string; userId: string }): Handled<typeof C2S.lobbySendBack> {
    return this.route(s, C2S.lobbySendBack, b, b.callId);
  }

  @SubscribeMessage(C2S.hostMute)
  hostMute(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.hostMute)) b: { callId: string; userId: string; source: T.MediaSource }): Handled<typeof C2S.hostMute> {
    return this.route(s, C2S.hostMute, b, b.callId);
  }

  @SubscribeMessage(C2S.hostRemove)
  hostRemove(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callUser)) b: { callId: string; userId: string }): Handled<typeof C2S.hostRemove> {
    return this.route(s, C2S.hostRemove, b, b.callId);
  }

  @SubscribeMessage(C2S.hostLock)
  hostLock(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.hostLock)) b: { callId: string; locked: boolean }): Handled<typeof C2S.hostLock> {
    return this.route(s, C2S.hostLock, b, b.callId);
  }

  @SubscribeMessage(C2S.sessionExtend)
  sessionExtend(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.sessionExtend)) b: { callId: string; minutes: number }): Handled<typeof C2S.sessionExtend> {
    return this.route(s, C2S.sessionExtend, b, b.callId);
  }

  @SubscribeMessage(C2S.presenceList)
  async presenceList(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.presenceList)) _b: unknown): Promise<T.AckOf<typeof C2S.presenceList>> {
    return { users: await this.presence.list(s.data.user) };
  }

  @SubscribeMessage(C2S.callInitiate)
  async initiate(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callInitiate)) b: T.CallInitiateRequest): Promise<T.AckOf<typeof C2S.callInitiate>> {
    await limitCallSetup(this.limits, s.data.user.userId, b.calleeIds);
    const ack = await this.route(s, C2S.callInitiate, b, null);
    s.data.callId = ack.callId;
    return ack;
  }

  @SubscribeMessage(C2S.callJoin)
  async join(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Promise<T.AckOf<typeof C2S.callJoin>> {
    await limitCallSetup(this.limits, s.data.user.userId);
    const ack = await this.route(s, C2S.callJoin, b, b.callId);
    s.data.callId = ack.callId;
    return ack;
  }

  @SubscribeMessage(C2S.callDecline)
  decline(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Handled<typeof C2S.callDecline> {
    return this.route(s, C2S.callDecline, b, b.callId);
  }

  @SubscribeMessage(C2S.callCancel)
  cancel(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Handled<typeof C2S.callCancel> {
    return this.route(s, C2S.callCancel, b, b.callId);
  }

  @SubscribeMessage(C2S.callLeave)
  leave(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Handled<typeof C2S.callLeave> {
    return this.route(s, C2S.callLeave, b, b.callId);
  }

  @SubscribeMessage(C2S.callEnd)
  end(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.callRef)) b: T.CallRef): Handled<typeof C2S.callEnd> {
    return this.route(s, C2S.callEnd, b, b.callId);
  }

  @SubscribeMessage(C2S.createTransport)
  createTransport(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.createTransport)) b: T.CreateTransportRequest): Handled<typeof C2S.createTransport> {
    return this.route(s, C2S.createTransport, b, b.callId);
  }

  @SubscribeMessage(C2S.connectTransport)
  connectTransport(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.connectTransport)) b: T.ConnectTransportRequest): Handled<typeof C2S.connectTransport> {
    return this.route(s, C2S.connectTransport, b);
  }

  @SubscribeMessage(C2S.produce)
  produce(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.produce)) b: T.ProduceRequest): Handled<typeof C2S.produce> {
    return this.route(s, C2S.produce, b);
  }

  @SubscribeMessage(C2S.consume)
  consume(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.consume)) b: T.ConsumeRequest): Handled<typeof C2S.consume> {
    return this.route(s, C2S.consume, b);
  }

  @SubscribeMessage(C2S.resumeConsumer)
  resumeConsumer(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.consumerRef)) b: { consumerId: string }): Handled<typeof C2S.resumeConsumer> {
    return this.route(s, C2S.resumeConsumer, b);
  }

  @SubscribeMessage(C2S.pauseProducer)
  pauseProducer(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.producerRef)) b: { producerId: string }): Handled<typeof C2S.pauseProducer> {
    return this.route(s, C2S.pauseProducer, b);
  }

  @SubscribeMessage(C2S.resumeProducer)
  resumeProducer(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.producerRef)) b: { producerId: string }): Handled<typeof C2S.resumeProducer> {
    return this.route(s, C2S.resumeProducer, b);
  }

  @SubscribeMessage(C2S.closeProducer)
  closeProducer(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.producerRef)) b: { producerId: string }): Handled<typeof C2S.closeProducer> {
    return this.route(s, C2S.closeProducer, b);
  }

  @SubscribeMessage(C2S.restartIce)
  restartIce(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.transportRef)) b: { transportId: string }): Handled<typeof C2S.restartIce> {
    return this.route(s, C2S.restartIce, b);
  }

  @SubscribeMessage(C2S.statsReport)
  statsReport(@ConnectedSocket() s: AuthedSocket, @MessageBody(new V(schemas.statsReport)) b: T.StatsReport): Handled<typeof C2S.statsReport> {
    return this.route(s, C2S.statsReport, b, b.callId);
  }
}
