import { Device, type types as msc } from 'mediasoup-client';
import { C2S, type CallJoinAck, type MediaKind, type MediaSource } from '../../src/signaling/catalogue';
import type { CandidateView, InboundStat, LocalTrackInfo, SelectedPair } from './debug-api';
import { errorCode, type Signaling } from './signaling';

/** A remote producer this session should consume (from the join ack or `media:new-producer`). */
export interface RemoteProducer {
  producerId: string;
  userId: string;
  kind: MediaKind;
  source: MediaSource;
}

export interface RemoteTrack extends RemoteProducer {
  consumerId: string;
  track: MediaStreamTrack;
}

export interface MediaConnectionEvents {
  remoteTrackAdded(remote: RemoteTrack): void;
  remoteTrackRemoved(remote: RemoteTrack): void;
  localPreviewChanged(stream: MediaStream | null): void;
  /** Something went wrong that does not end the call (one failed consumer, an ICE restart). */
  problem(message: string, err: unknown): void;
}

type SourceAppData = { source: MediaSource };

/** While the server moves a call to another worker, media requests answer INVALID_STATE: retry this long. */
const MOVING_RETRY_MS = 5_000;
const MOVING_RETRY_STEP_MS = 150;

/** Thrown inside an attempt that a newer media reconnect (or close) replaced; never reported. */
class Superseded extends Error {
  constructor() {
    super('superseded by a newer media connection');
    this.name = 'Superseded';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One call's media: the mediasoup Device, both transports, the producers of the local tracks
 * and a consumer per remote producer. `close()` is the single, idempotent way out.
 *
 * The mediasoup side can be rebuilt without ending the call (`reconnect()`, on
 * `media:reconnect`): every transport, producer and consumer goes, the local tracks stay, and
 * the same tracks are produced again on new transports. Each build is a numbered generation; an
 * attempt that a newer one replaced stops at its next step and closes what it created.
 */
export class MediaConnection {
  private device = new Device();
  /** The router capabilities the device was loaded with (JSON), and that load. */
  private deviceCaps: string | null = null;
  private deviceLoad: Promise<void> = Promise.resolve();
  private sendTransport: msc.Transport | null = null;
  private recvTransport: msc.Transport | null = null;
  private readonly producers = new Map<MediaSource, msc.Producer>();
  /** Sources being produced, with the generation producing them. */
  private readonly producing = new Map<MediaSource, number>();
  /** Every transport of the current generation, assigned or still being set up. */
  private readonly transports = new Set<msc.Transport>();
  private readonly consumers = new Map<string, { consumer: msc.Consumer; remote: RemoteTrack }>();
  /** Every track this session acquired, stopped ones included: close() stops them all. */
  private readonly acquiredTracks = new Set<MediaStreamTrack>();
  private readonly queued: RemoteProducer[] = [];
  private readonly requested = new Set<string>();
  private readonly closedProducers = new Set<string>();
  private closed = false;
  private generation = 0;
  /** The generation a `media:reconnect` is building, until it is done or fails. */
  private rebuilding: number | null = null;
  private reconnectsDone = 0;
  private joined: { media: MediaKind; iceServers: RTCIceServer[] } | null = null;
  private capture: Promise<void> | null = null;
  private captured = false;
  /** The user's choices; they survive a media reconnect (a muted mic is produced, then paused). */
  private micOn = true;
  private cameraOn = true;
  private micTrack: MediaStreamTrack | null = null;
  private cameraTrack: MediaStreamTrack | null = null;

  constructor(
    private readonly signaling: Signaling,
    readonly callId: string,
    private readonly events: MediaConnectionEvents,
    private readonly options: { relayOnly?: boolean } = {},
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while a `media:reconnect` is being handled (transports re-created, tracks produced again). */
  get reconnecting(): boolean {
    return this.rebuilding !== null && !this.closed;
  }

  /** How many media reconnects completed. */
  get reconnects(): number {
    return this.reconnectsDone;
  }

  get hasCamera(): boolean {
    return this.joined?.media === 'video' && this.captured;
  }

  /**
   * The media handshake, in order: router capabilities → transports → produce/consume. The
   * camera starts while the receive side is set up, so remote media is not held up by it. The
   * call's media kind comes from the join ack: an audio call never opens the camera.
   */
  async start(join: CallJoinAck): Promise<void> {
    const gen = this.generation;
    this.joined = { media: join.media, iceServers: join.iceServers as RTCIceServer[] };
    this.cameraOn = join.media === 'video';
    const capture = navigator.mediaDevices.getUserMedia({ audio: true, video: join.media === 'video' }).then((stream) => {
      for (const track of stream.getTracks()) this.adopt(track);
      this.micTrack = stream.getAudioTracks()[0] ?? null;
      this.cameraTrack = stream.getVideoTracks()[0] ?? null;
      if (this.micTrack) this.micTrack.enabled = this.micOn;
      this.captured = true;
      if (!this.closed) this.events.localPreviewChanged(this.previewStream());
    });
    capture.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled
    this.capture = capture;
    try {
      await this.loadDevice(join.routerRtpCapabilities);
      this.assertCurrent(gen);
      await this.connect(gen, join.producers);
    } catch (err) {
      if (this.closed) throw new Error('call closed');
      if (gen !== this.generation) return; // a media reconnect took over
      throw err;
    }
  }

  /**
   * `media:reconnect`: the call's media moved to another worker. Closes every transport,
   * producer and consumer (remote tiles lose their tracks), keeps the local tracks, then builds
   * it all again: a new Device if the router's capabilities changed, new transports, the local
   * tracks produced again. Remote producers arrive again as `media:new-producer`.
   */
  async reconnect(routerRtpCapabilities: unknown, iceServers?: RTCIceServer[]): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    this.dropMedia();
    // The server mints fresh TURN credentials with every reconnect: the join's may have expired.
    if (iceServers && this.joined) this.joined.iceServers = iceServers;
    // Before start(): the join ack, which arrives after this event, describes the new router.
    if (!this.joined) return;
    this.rebuilding = gen;
    try {
      await this.deviceLoad.catch(() => undefined);
      this.assertCurrent(gen);
      if (JSON.stringify(routerRtpCapabilities) !== this.deviceCaps) {
        this.device = new Device();
        await this.loadDevice(routerRtpCapabilities);
        this.assertCurrent(gen);
      }
      await this.connect(gen, []);
      this.reconnectsDone++;
    } catch (err) {
      if (this.isStale(gen)) return; // closed, or a newer media reconnect took over
      throw err;
    } finally {
      if (this.rebuilding === gen) this.rebuilding = null;
    }
  }

  /** Consume a remote producer; before the receive transport exists the request is queued. */
  async consume(producer: RemoteProducer): Promise<void> {
    if (this.closed || this.requested.has(producer.producerId)) return;
    const transport = this.recvTransport;
    if (!transport) {
      if (!this.queued.some((q) => q.producerId === producer.producerId)) this.queued.push(producer);
      return;
    }
    const gen = this.generation;
    this.requested.add(producer.producerId);
    let consumer: msc.Consumer | null = null;
    try {
      const ack = await this.retryWhileMoving(gen, () =>
        this.signaling.request(C2S.consume, {
          transportId: transport.id,
          producerId: producer.producerId,
          rtpCapabilities: this.device.rtpCapabilities,
        }),
      );
      this.assertCurrent(gen);
      consumer = await transport.consume({
        id: ack.consumerId,
        producerId: ack.producerId,
        kind: ack.kind,
        rtpParameters: ack.rtpParameters as msc.RtpParameters,
      });
      this.assertCurrent(gen);
      // The producer may have gone while we were setting up.
      if (this.closedProducers.has(producer.producerId)) {
        consumer.close();
        return;
      }
      const remote: RemoteTrack = {
        producerId: ack.producerId,
        userId: ack.userId,
        kind: ack.kind,
        source: ack.source,
        consumerId: consumer.id,
        track: consumer.track,
      };
      this.consumers.set(consumer.id, { consumer, remote });
      this.events.remoteTrackAdded(remote);
      await this.retryWhileMoving(gen, () => this.signaling.request(C2S.resumeConsumer, { consumerId: remote.consumerId }));
    } catch (err) {
      // One failed consumer is reported and skipped; the call goes on. A producer that went away
      // meanwhile, or media that was rebuilt meanwhile, is not a problem.
      if (this.isStale(gen)) {
        if (consumer && !this.consumers.has(consumer.id)) consumer.close();
        return;
      }
      if (this.closedProducers.has(producer.producerId)) return;
      this.events.problem(`could not receive ${producer.kind} from ${producer.userId}`, err);
    }
  }

  /** `media:producer-closed`: the remote producer went away. */
  producerClosed(producerId: string): void {
    this.closedProducers.add(producerId);
    this.queued.splice(0, this.queued.length, ...this.queued.filter((q) => q.producerId !== producerId));
    for (const [id, { remote }] of this.consumers) if (remote.producerId === producerId) this.consumerClosed(id);
  }

  /** `media:consumer-closed`, or a producer's end seen locally. */
  consumerClosed(consumerId: string): void {
    const entry = this.consumers.get(consumerId);
    if (!entry) return;
    this.consumers.delete(consumerId);
    entry.consumer.close();
    this.events.remoteTrackRemoved(entry.remote);
  }

  /** Mute or unmute the microphone (the server tells the others). */
  async setMicEnabled(enabled: boolean): Promise<void> {
    if (this.closed) return;
    this.micOn = enabled;
    const producer = this.producers.get('mic');
    if (!producer) {
      // Not produced (yet, or again after a media reconnect): the choice applies when it is.
      if (this.micTrack) this.micTrack.enabled = enabled;
      return;
    }
    if (enabled) producer.resume();
    else producer.pause();
    await this.tellProducerState(producer, enabled);
  }

  /** Camera off stops the camera track (its light goes off); camera on captures a new one. */
  async setCameraEnabled(enabled: boolean): Promise<void> {
    if (this.closed || !this.hasCamera) return;
    if (enabled) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const [track] = stream.getVideoTracks();
      this.adopt(track);
      if (this.closed) return;
      this.cameraTrack?.stop();
      this.cameraTrack = track;
      this.cameraOn = true;
      const producer = this.producers.get('camera');
      if (producer) {
        await this.unlessRebuilt(producer, async () => {
          await producer.replaceTrack({ track });
          producer.resume();
          await this.tellProducerState(producer, true);
        });
      } else {
        // Camera was off through a media reconnect, so it has no producer yet: produce it now
        // (or the reconnect in progress does).
        const gen = this.generation;
        await this.produceTrack('camera', gen).catch((err) => {
          if (!this.isStale(gen)) throw err;
        });
      }
    } else {
      this.cameraOn = false;
      const producer = this.producers.get('camera');
      const old = this.cameraTrack;
      this.cameraTrack = null;
      if (producer) {
        producer.pause();
        await this.unlessRebuilt(producer, () => producer.replaceTrack({ track: null }));
      }
      old?.stop();
      if (producer) await this.tellProducerState(producer, false);
    }
    this.events.localPreviewChanged(this.previewStream());
  }

  get micEnabled(): boolean {
    return this.micOn;
  }

  get cameraEnabled(): boolean {
    return this.cameraOn && this.cameraTrack?.readyState === 'live';
  }

  /**
   * Idempotent. Closes consumers, producers, then both transports; whatever happens on the
   * way, every local track is stopped so the camera and microphone are released.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const { consumer } of this.consumers.values()) consumer.close();
      for (const producer of this.producers.values()) producer.close();
      for (const transport of this.transports) transport.close();
    } finally {
      for (const track of this.acquiredTracks) track.stop();
      this.consumers.clear();
      this.producers.clear();
      this.queued.length = 0;
      this.events.localPreviewChanged(null);
    }
  }

  // ------------------------------------------------------------------ read-only views

  localTracks(): LocalTrackInfo[] {
    return [...this.acquiredTracks].map((t) => ({ kind: t.kind, readyState: t.readyState, enabled: t.enabled }));
  }

  transportsClosed(): boolean {
    return [...this.transports].every((t) => t.closed);
  }

  async inboundStats(): Promise<InboundStat[]> {
    const out: InboundStat[] = [];
    for (const { consumer, remote } of [...this.consumers.values()]) {
      const report = await consumer.getStats().catch(() => null);
      report?.forEach((s: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number; packetsReceived?: number }) => {
        if (s.type !== 'inbound-rtp') return;
        out.push({
          kind: remote.kind,
          userId: remote.userId,
          consumerId: remote.consumerId,
          framesDecoded: s.framesDecoded ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
        });
      });
    }
    return out;
  }

  async selectedPairs(): Promise<SelectedPair[]> {
    const out: SelectedPair[] = [];
    for (const [direction, transport] of [['send', this.sendTransport], ['recv', this.recvTransport]] as const) {
      if (!transport || transport.closed) continue;
      const report = await transport.getStats().catch(() => null);
      if (!report) continue;
      type Stat = { type: string; id: string; state?: string; nominated?: boolean; selectedCandidatePairId?: string; localCandidateId?: string; remoteCandidateId?: string };
      const stats = new Map<string, Stat & Record<string, unknown>>();
      report.forEach((s: Stat & Record<string, unknown>) => stats.set(s.id, s));
      const fromTransport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId)?.selectedCandidatePairId;
      const pair = fromTransport
        ? stats.get(fromTransport)
        : [...stats.values()].find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
      const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
      const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
      if (!local || !remote) continue;
      const view = (c: Record<string, unknown>): CandidateView => ({
        candidateType: String(c.candidateType ?? ''),
        protocol: String(c.protocol ?? ''),
        address: String(c.address ?? c.ip ?? ''),
        port: Number(c.port ?? 0),
      });
      out.push({ direction, local: view(local), remote: view(remote) });
    }
    return out;
  }

  // ------------------------------------------------------------------ internals

  /**
   * Transports, then consuming (queued and given producers), then producing the local tracks.
   * Throws Superseded when a newer generation replaced this one.
   */
  private async connect(gen: number, producers: RemoteProducer[]): Promise<void> {
    const { iceServers } = this.joined!;
    // Both transports at once: after a worker died, every round trip counts.
    const recv = this.createTransport('recv', iceServers, gen);
    const send = this.createTransport('send', iceServers, gen);
    recv.catch(() => undefined);
    send.catch(() => undefined);
    this.recvTransport = await recv;
    const consuming = [...producers, ...this.queued.splice(0)].map((p) => this.consume(p));
    await this.capture;
    this.assertCurrent(gen);
    this.sendTransport = await send;
    await Promise.all([this.produceTrack('mic', gen), this.produceTrack('camera', gen)]);
    await Promise.all(consuming);
  }

  /**
   * Produces one local track unless it is already produced, being produced, or off (a stopped
   * camera is produced when it is turned on). A muted mic is produced, then paused.
   */
  private async produceTrack(source: MediaSource, gen: number): Promise<void> {
    const transport = this.sendTransport;
    const track = source === 'mic' ? this.micTrack : this.cameraTrack;
    if (!transport || transport.closed || this.producers.has(source) || this.producing.get(source) === gen) return;
    if (!track || track.readyState !== 'live' || (source === 'camera' && !this.cameraOn)) return;
    this.producing.set(source, gen);
    try {
      const producer = await transport.produce({ track, stopTracks: false, appData: { source } satisfies SourceAppData });
      if (this.isStale(gen)) {
        producer.close();
        throw new Superseded();
      }
      this.producers.set(source, producer);
      // The user muted (or turned the camera off) while it was being produced.
      const wanted = source === 'mic' ? this.micOn : this.cameraOn && producer.track?.readyState === 'live';
      if (!wanted) {
        if (!producer.paused) producer.pause();
        if (source === 'camera') await producer.replaceTrack({ track: null });
        await this.tellProducerState(producer, false);
      }
    } finally {
      if (this.producing.get(source) === gen) this.producing.delete(source);
    }
  }

  /** Runs a step on a producer; if a media reconnect closed the producer meanwhile, its failure does not matter. */
  private async unlessRebuilt(producer: msc.Producer, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (producer.closed || this.closed) return;
      throw err;
    }
  }

  /** Tells the server a producer's paused state; quiet if the producer went with a media reconnect. */
  private async tellProducerState(producer: msc.Producer, enabled: boolean): Promise<void> {
    try {
      await this.signaling.request(enabled ? C2S.resumeProducer : C2S.pauseProducer, { producerId: producer.id });
    } catch (err) {
      if (producer.closed || this.closed) return;
      throw err;
    }
  }

  private loadDevice(routerRtpCapabilities: unknown): Promise<void> {
    this.deviceCaps = JSON.stringify(routerRtpCapabilities);
    this.deviceLoad = this.device.load({ routerRtpCapabilities: routerRtpCapabilities as msc.RtpCapabilities });
    return this.deviceLoad;
  }

  private async createTransport(direction: 'send' | 'recv', iceServers: RTCIceServer[], gen: number): Promise<msc.Transport> {
    const ack = await this.retryWhileMoving(gen, () => this.signaling.request(C2S.createTransport, { callId: this.callId, direction }));
    this.assertCurrent(gen);
    const options: msc.TransportOptions = {
      id: ack.transportId,
      iceParameters: ack.iceParameters as msc.IceParameters,
      iceCandidates: ack.iceCandidates as msc.IceCandidate[],
      dtlsParameters: ack.dtlsParameters as msc.DtlsParameters,
      iceServers,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
    };
    const transport = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    this.transports.add(transport);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling.request(C2S.connectTransport, { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const { source } = appData as SourceAppData;
      this.retryWhileMoving(gen, () => this.signaling.request(C2S.produce, { transportId: transport.id, kind, rtpParameters, source })).then(
        ({ producerId }) => callback({ id: producerId }),
        errback,
      );
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && !transport.closed && !this.isStale(gen)) void this.restartIce(transport, direction);
    });
    return transport;
  }

  private async restartIce(transport: msc.Transport, direction: 'send' | 'recv'): Promise<void> {
    try {
      const { iceParameters, iceServers } = await this.signaling.request(C2S.restartIce, { transportId: transport.id });
      if (this.closed || transport.closed) return;
      // Fresh TURN credentials first: the ones from the join ack may have expired during a long call.
      if (iceServers) {
        if (this.joined) this.joined.iceServers = iceServers;
        await transport.updateIceServers({ iceServers });
      }
      await transport.restartIce({ iceParameters: iceParameters as msc.IceParameters });
    } catch (err) {
      if (!this.closed && !transport.closed) this.events.problem(`${direction} connection failed and could not be restarted`, err);
    }
  }

  /**
   * A request that the server may refuse with INVALID_STATE while it moves the call to another
   * worker: retried briefly, until it succeeds, fails otherwise, or a newer generation begins.
   */
  private async retryWhileMoving<T>(gen: number, send: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + MOVING_RETRY_MS;
    for (;;) {
      try {
        return await send();
      } catch (err) {
        if (this.isStale(gen)) throw new Superseded();
        if (errorCode(err) !== 'INVALID_STATE' || Date.now() > deadline) throw err;
      }
      await sleep(MOVING_RETRY_STEP_MS);
      this.assertCurrent(gen);
    }
  }

  /** Closes every mediasoup object of the current generation; local tracks keep running. */
  private dropMedia(): void {
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const { consumer, remote } of consumers) {
      consumer.close();
      this.events.remoteTrackRemoved(remote);
    }
    for (const producer of this.producers.values()) producer.close(); // stopTracks: false
    this.producers.clear();
    for (const transport of this.transports) transport.close();
    this.transports.clear();
    this.sendTransport = null;
    this.recvTransport = null;
    this.queued.length = 0;
    this.requested.clear();
    this.closedProducers.clear();
  }

  /** Takes ownership of a local track; a track arriving after close() is stopped at once. */
  private adopt(track: MediaStreamTrack): void {
    this.acquiredTracks.add(track);
    if (this.closed) track.stop();
  }

  private previewStream(): MediaStream | null {
    const video = [...this.acquiredTracks].filter((t) => t.kind === 'video' && t.readyState === 'live');
    return video.length ? new MediaStream(video) : null;
  }

  private isStale(gen: number): boolean {
    return this.closed || gen !== this.generation;
  }

  private assertCurrent(gen: number): void {
    if (this.isStale(gen)) throw new Superseded();
  }
}

