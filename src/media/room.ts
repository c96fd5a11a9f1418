import type { types as ms } from 'mediasoup';
import { Logger } from '@nestjs/common';
import { DomainError, forbidden, notFound } from '../common/domain-error';
import type { ConsumeAck, ConsumeInput, DtlsInput, MediaKind, MediaQualitySample, MediaSource, ProduceInput, ProducerInfo, RoomCounts, TransportAck } from './media.types';
import type { RoomSink } from './media.port';
import { mapMediaError } from './media-errors';
import { Peer, UNCAPPED, type Direction, type PeerCaps } from './peer';
import { RoomQuality } from './room-quality';
import { RouterSet, type RoomRouter, type RouterFactory } from './router-set';
import { webRtcTransportListen, type RtcNetwork } from './rtc-network';
import type { PooledWorker } from './worker-pool';


/**
 * One call's router and its peers. close() is idempotent and cascades to every peer.
 * If the router dies under the room (its worker crashed), the room keeps its identity and is
 * re-homed on another worker; participants then re-create their transports.
 */
export class MediaRoom {
  private readonly logger = new Logger('MediaRoom');
  private readonly peers = new Map<string, Peer>();
  private readonly quality = new RoomQuality();
  private closed = false;
  private homeless = false;
  private readonly routers: RouterSet;

  constructor(
    readonly callId: string,
    host: PooledWorker,
    router: ms.Router,
    private readonly sink: RoomSink,
    readonly network: RtcNetwork,
    private readonly onRouterLost: (room: MediaRoom) => void = () => this.fail('media router closed'),
    spread: { budget: number; makeRouter: RouterFactory } = { budget: Number.MAX_SAFE_INTEGER, makeRouter: () => Promise.reject(new Error('no spreading')) },
    private readonly caps: PeerCaps = UNCAPPED,
  ) {
    this.routers = new RouterSet(spread.budget, spread.makeRouter, () => this.lostRouter(this.routers.primary.host));
    this.attach(host, router);
  }

  /** The primary router's worker (where the producers live). */
  get host(): PooledWorker {
    return this.routers.primary.host;
  }

  get router(): ms.Router {
    return this.routers.primary.router;
  }

  /** Every router of the room: the primary and those it spread to. */
  allRouters(): ms.Router[] {
    return this.routers.all().map((r) => r.router);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isHomeless(): boolean {
    return this.homeless;
  }

  private attach(host: PooledWorker, router: ms.Router): void {
    this.routers.setPrimary(host, router);
    this.watch(host, router, () => this.router === router);
  }

  private watch(host: PooledWorker, router: ms.Router, mine: () => boolean): void {
    host.load.routers++;
    router.observer.once('close', () => {
      host.load.routers--;
      if (!this.closed && mine()) this.lostRouter(host);
    });
  }

  /** A router closed under us (worker death): the media objects went with it; find a new home. */
  private lostRouter(host: PooledWorker): void {
    if (this.closed || this.homeless) return;
    this.homeless = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.routers.closeExtra();
    this.logger.warn({ callId: this.callId, workerPid: host.pid }, 'media room lost a router');
    this.onRouterLost(this);
  }

  /** Moves the room onto a new router; participants are told to re-create their transports. */
  rehome(host: PooledWorker, router: ms.Router, reason: 'worker_died' | 'migrated' = 'worker_died'): void {
    if (this.closed) {
      router.close();
      return;
    }
    // Whatever still lives on the old routers is dropped: clients re-create it on the new one.
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.routers.closeExtra();
    this.attach(host, router);
    this.homeless = false;
    this.logger.warn({ callId: this.callId, workerPid: host.pid }, 'media room re-homed');
    this.sink.rehomed(router.rtpCapabilities, reason);
  }

  /** Gives up on the room (no worker could take it): the domain ends the call. */
  fail(reason: string): void {
    if (this.closed) return;
    this.closeInternal();
    if (!this.router.closed) this.router.close();
    this.sink.failed(reason);
  }

  get rtpCapabilities(): ms.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  private peer(userId: string): Peer {
    let p = this.peers.get(userId);
    if (!p || p.isClosed) {
      p = new Peer(userId);
      this.peers.set(userId, p);
    }
    return p;
  }

  private transportOf(userId: string, transportId: string) {
    const t = this.peers.get(userId)?.transports.get(transportId);
    if (!t) throw notFound('transport');
    return t;
  }

  producers(): ProducerInfo[] {
    const out: ProducerInfo[] = [];
    for (const peer of this.peers.values()) {
      for (const { producer, source } of peer.producers.values()) {
        out.push({ producerId: producer.id, userId: peer.userId, kind: producer.kind, source, paused: producer.paused });
      }
    }
    return out;
  }

  counts(): RoomCounts {
    let transports = 0, producers = 0, consumers = 0;
    for (const p of this.peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
      consumers += p.consumers.size;
    }
    return { peers: this.peers.size, transports, producers, consumers };
  }

  async createWebRtcTransport(userId: string, direction: 'send' | 'recv'): Promise<TransportAck> {
    // In server mode the transport joins the WebRtcServer of the worker that hosts its router
    // (primary or spread), so every transport of that worker shares its one UDP and TCP port.
    const transport = await this.addTransport(userId, direction, direction === 'recv', (where) =>
      where.router.createWebRtcTransport({
        ...webRtcTransportListen(this.network, where.host.webRtcServer),
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { userId, direction },
      }),
    );
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * Creates a transport where it belongs and tracks it as the user's (for the media layer's own
   * transport kinds: WebRTC here, plain RTP in plain-transports.ts). Sending transports live on
   * the primary router; receiving ones go where consumers fit.
   */
  async addTransport<T extends ms.WebRtcTransport | ms.PlainTransport>(userId: string, direction: Direction, receive: boolean, create: (where: RoomRouter) => Promise<T>): Promise<T> {
    this.assertOpen();
    this.assertUnder('transports', this.peers.get(userId)?.transports.size ?? 0);
    const { where, reserved } = await this.place(userId, receive);
    const transport = await create(where);
    this.track(userId, transport, direction, where, reserved);
    return transport;
  }

  private async place(userId: string, receive: boolean): Promise<{ where: RoomRouter; reserved: number }> {
    if (!receive) return { where: this.routers.primary, reserved: 0 };
    const others = [...this.peers.keys()].filter((u) => u !== userId).length;
    const reserved = Math.max(2, 2 * others); // audio + video from everyone else
    const where = await this.routers.placeReceiver(reserved);
    where.reserved += reserved;
    return { where, reserved };
  }

  private track(userId: string, transport: ms.WebRtcTransport | ms.PlainTransport, direction: Direction, where: RoomRouter, reserved: number): void {
    const peer = this.peer(userId);
    const entry = { transport, direction, where, reserved };
    peer.transports.set(transport.id, entry);
    where.host.load.transports++;
    (transport as ms.Transport).observer.once('close', () => {
      where.host.load.transports--;
      where.reserved -= entry.reserved;
      peer.transports.delete(transport.id);
    });
  }

  async connectTransport(userId: string, transportId: string, dtlsParameters: DtlsInput): Promise<void> {
    const { transport } = this.transportOf(userId, transportId);
    if (transport.type !== 'webrtc') throw new DomainError('INVALID_STATE', 'not a WebRTC transport');
    await (transport as ms.WebRtcTransport).connect({ dtlsParameters }).catch(mapMediaError);
  }

  async restartIce(userId: string, transportId: string): Promise<unknown> {
    const { transport } = this.transportOf(userId, transportId);
    if (transport.type !== 'webrtc') throw new DomainError('INVALID_STATE', 'not a WebRTC transport');
    return (transport as ms.WebRtcTransport).restartIce().catch(mapMediaError);
  }

  async produce(userId: string, req: ProduceInput): Promise<ProducerInfo> {
    this.assertOpen();
    const t = this.transportOf(userId, req.transportId);
    if (t.direction === 'recv') throw new DomainError('INVALID_STATE', 'cannot produce on a receive transport');
    this.assertUnder('producers', this.peer(userId).producers.size);
    const producer = await t.transport
      .produce({ kind: req.kind, rtpParameters: req.rtpParameters as ms.RtpParameters, paused: req.paused === true, appData: { userId, source: req.source } })
      .catch(mapMediaError);
    const peer = this.peer(userId);
    peer.producers.set(producer.id, { producer, source: req.source });
    producer.on('score', (scores) => {
      for (const { score } of scores) this.quality.note(producer.id, score);
    });
    this.host.load.producers++;
    producer.observer.once('close', () => {
      this.host.load.producers--;
      peer.producers.delete(producer.id);
      if (!this.closed) this.sink.producerClosed(producer.id, userId);
    });
    return { producerId: producer.id, userId, kind: producer.kind, source: req.source, paused: producer.paused };
  }

  async consume(userId: string, req: ConsumeInput): Promise<ConsumeAck> {
    const rtpCapabilities = req.rtpCapabilities as ms.RtpCapabilities;
    this.assertOpen();
    const t = this.transportOf(userId, req.transportId);
    if (t.direction !== 'recv' && t.direction !== 'plain') throw new DomainError('INVALID_STATE', 'cannot consume on a send transport');
    this.assertUnder('consumers', this.peer(userId).consumers.size);
    const owner = this.findProducer(req.producerId);
    if (!owner) throw notFound('producer');
    if (owner.peer.userId === userId) throw forbidden('cannot consume your own producer');
    // A receive transport on a spread router gets the producer piped over from the primary.
    await this.routers.ensurePiped(req.producerId, t.where).catch(mapMediaError);
    let canConsume = false;
    try {
      canConsume = t.where.router.canConsume({ producerId: req.producerId, rtpCapabilities });
    } catch (err) {
      mapMediaError(err);
    }
    if (!canConsume) {
      throw new DomainError('VALIDATION_FAILED', 'rtpCapabilities cannot consume this producer');
    }
    const consumer = await t.transport
      .consume({ producerId: req.producerId, rtpCapabilities, paused: true, appData: { userId } })
      .catch(mapMediaError);
    const peer = this.peer(userId);
    peer.consumers.set(consumer.id, { consumer, source: owner.source, ownerId: owner.peer.userId });
    consumer.on('score', ({ score }) => this.quality.note(consumer.id, score));
    const where = t.where;
    where.host.load.consumers++;
    where.consumers++;
    if (t.reserved > 0) {
      t.reserved--;
      where.reserved--;
    }
    consumer.observer.once('close', () => {
      where.host.load.consumers--;
      where.consumers--;
      peer.consumers.delete(consumer.id);
    });
    // The producer went away (its owner left or closed it): tell this consumer's owner.
    consumer.once('producerclose', () => {
      if (!this.closed) this.sink.consumerClosed(userId, consumer.id);
    });
    return {
      consumerId: consumer.id,
      producerId: req.producerId,
      kind: consumer.kind as MediaKind,
      rtpParameters: consumer.rtpParameters,
      source: owner.source,
      userId: owner.peer.userId,
    };
  }

  private findProducer(producerId: string): { peer: Peer; producer: ms.Producer; source: MediaSource } | undefined {
    for (const peer of this.peers.values()) {
      const p = peer.producers.get(producerId);
      if (p) return { peer, ...p };
    }
    return undefined;
  }

  /** The user's own consumer; NOT_FOUND otherwise. */
  consumer(userId: string, consumerId: string): ms.Consumer {
    const c = this.peers.get(userId)?.consumers.get(consumerId);
    if (!c) throw notFound('consumer');
    return c.consumer;
  }

  async resumeConsumer(userId: string, consumerId: string): Promise<void> {
    await this.consumer(userId, consumerId).resume().catch(mapMediaError);
  }

  /** Every producer's and consumer's quality, read from the worker (getStats) and score events. */
  qualitySamples(): Promise<MediaQualitySample[]> {
    return this.quality.samples(this.peers.values());
  }

  /** Returns the producer's info; throws NOT_FOUND unless the user owns it. */
  async setProducerPaused(userId: string, producerId: string, paused: boolean): Promise<ProducerInfo> {
    const p = this.peers.get(userId)?.producers.get(producerId);
    if (!p) throw notFound('producer');
    await (paused ? p.producer.pause() : p.producer.resume()).catch(mapMediaError);
    return { producerId, userId, kind: p.producer.kind, source: p.source, paused: p.producer.paused };
  }

  closeProducer(userId: string, producerId: string): void {
    const p = this.peers.get(userId)?.producers.get(producerId);
    if (!p) throw notFound('producer');
    p.producer.close();
  }

  removePeer(userId: string): void {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    peer.close();
  }

  /** A participant's media objects are capped (MAX_TRANSPORTS/PRODUCERS/CONSUMERS_PER_PEER): FORBIDDEN past the cap. */
  private assertUnder(kind: keyof PeerCaps, have: number): void {
    if (have >= this.caps[kind]) throw forbidden(`at most ${this.caps[kind]} ${kind} per participant`);
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('INVALID_STATE', 'media room is closed');
    if (this.homeless) throw new DomainError('INVALID_STATE', 'media is moving to another worker; retry after media:reconnect');
  }

  close(): void {
    if (this.closed) return;
    this.closeInternal();
    this.routers.closeExtra();
    this.router.close();
  }

  private closeInternal(): void {
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.logger.debug({ callId: this.callId }, 'media room closed');
  }
}
