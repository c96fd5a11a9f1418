import type { CallJoinAck } from '../../src/signaling/catalogue';
import type { InboundStat, LocalTrackInfo, SelectedPair } from './debug-api';
import { MediaGeneration } from './media-generation';
import { MediaReceiver, type RemoteProducer, type RemoteTrack } from './media-receiver';
import { MediaSender } from './media-sender';
import { selectedPairs } from './media-stats';
import { MediaTransports } from './media-transports';
import type { Signaling } from './signaling';

export type { RemoteProducer, RemoteTrack } from './media-receiver';

export interface MediaConnectionEvents {
  remoteTrackAdded(remote: RemoteTrack): void;
  remoteTrackRemoved(remote: RemoteTrack): void;
  localPreviewChanged(stream: MediaStream | null): void;
  /** Something went wrong that does not end the call (one failed consumer, an ICE restart). */
  problem(message: string, err: unknown): void;
}

/**
 * One call's media: the mediasoup Device, both transports (MediaTransports), the producers of
 * the local tracks (MediaSender) and a consumer per remote producer (MediaReceiver). `close()`
 * is the single, idempotent way out.
 *
 * The mediasoup side can be rebuilt without ending the call (`reconnect()`, on
 * `media:reconnect`): every transport, producer and consumer goes, the local tracks stay, and
 * the same tracks are produced again on new transports. Each build is a numbered generation
 * (MediaGeneration); an attempt that a newer one replaced stops at its next step and closes what
 * it created.
 */
export class MediaConnection {
  private readonly generation = new MediaGeneration();
  private readonly transports: MediaTransports;
  private readonly sender: MediaSender;
  private readonly receiver: MediaReceiver;
  /** start() was called: the join ack described the router. */
  private joined = false;
  /** The generation a `media:reconnect` is building, until it is done or fails. */
  private rebuilding: number | null = null;
  private reconnectsDone = 0;

  constructor(
    signaling: Signaling,
    readonly callId: string,
    private readonly events: MediaConnectionEvents,
    options: { relayOnly?: boolean } = {},
  ) {
    this.transports = new MediaTransports(signaling, callId, this.generation, events, !!options.relayOnly);
    this.sender = new MediaSender(signaling, this.generation, this.transports, events);
    this.receiver = new MediaReceiver(signaling, this.generation, this.transports, events);
  }

  get isClosed(): boolean {
    return this.generation.closed;
  }

  /** True while a `media:reconnect` is being handled (transports re-created, tracks produced again). */
  get reconnecting(): boolean {
    return this.rebuilding !== null && !this.generation.closed;
  }

  /** How many media reconnects completed. */
  get reconnects(): number {
    return this.reconnectsDone;
  }

  get hasCamera(): boolean {
    return this.sender.hasCamera;
  }

  get micEnabled(): boolean {
    return this.sender.micEnabled;
  }

  get cameraEnabled(): boolean {
    return this.sender.cameraEnabled;
  }

  /**
   * The media handshake, in order: router capabilities → transports → produce/consume. The
   * camera starts while the receive side is set up, so remote media is not held up by it. The
   * call's media kind comes from the join ack: an audio call never opens the camera.
   */
  async start(join: CallJoinAck): Promise<void> {
    const gen = this.generation.current;
    this.joined = true;
    this.transports.iceServers = join.iceServers as RTCIceServer[];
    this.sender.startCapture(join.media);
    try {
      await this.transports.loadDevice(join.routerRtpCapabilities);
      this.generation.assertCurrent(gen);
      await this.connect(gen, join.producers);
    } catch (err) {
      if (this.generation.closed) throw new Error('call closed');
      if (gen !== this.generation.current) return; // a media reconnect took over
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
    if (this.generation.closed) return;
    const gen = this.generation.next();
    this.receiver.drop();
    this.sender.closeProducers();
    this.transports.drop();
    // Before start(): the join ack, which arrives after this event, describes the new router.
    if (!this.joined) return;
    // The server mints fresh TURN credentials with every reconnect: the join's may have expired.
    if (iceServers) this.transports.iceServers = iceServers;
    this.rebuilding = gen;
    try {
      await this.transports.reloadDevice(routerRtpCapabilities, gen);
      await this.connect(gen, []);
      this.reconnectsDone++;
    } catch (err) {
      if (this.generation.isStale(gen)) return; // closed, or a newer media reconnect took over
      throw err;
    } finally {
      if (this.rebuilding === gen) this.rebuilding = null;
    }
  }

  /** Consume a remote producer; before the receive transport exists the request is queued. */
  consume(producer: RemoteProducer): Promise<void> {
    return this.receiver.consume(producer);
  }

  /** `media:producer-closed`: the remote producer went away. */
  producerClosed(producerId: string): void {
    this.receiver.producerClosed(producerId);
  }

  /** `media:consumer-closed`, or a producer's end seen locally. */
  consumerClosed(consumerId: string): void {
    this.receiver.consumerClosed(consumerId);
  }

  /** Mute or unmute the microphone (the server tells the others). */
  setMicEnabled(enabled: boolean): Promise<void> {
    return this.sender.setMicEnabled(enabled);
  }

  /** Camera off stops the camera track (its light goes off); camera on captures a new one. */
  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.sender.setCameraEnabled(enabled);
  }

  /**
   * Idempotent. Closes consumers, producers, then both transports; whatever happens on the
   * way, every local track is stopped so the camera and microphone are released.
   */
  close(): void {
    if (this.generation.closed) return;
    this.generation.close();
    try {
      this.receiver.close();
      this.sender.closeProducers();
      this.transports.close();
    } finally {
      this.sender.stopTracks();
      this.events.localPreviewChanged(null);
    }
  }

  // ------------------------------------------------------------------ read-only views

  localTracks(): LocalTrackInfo[] {
    return this.sender.localTracks();
  }

  transportsClosed(): boolean {
    return this.transports.allClosed();
  }

  inboundStats(): Promise<InboundStat[]> {
    return this.receiver.inboundStats();
  }

  selectedPairs(): Promise<SelectedPair[]> {
    return selectedPairs(this.transports);
  }

  /**
   * Transports, then consuming (queued and given producers), then producing the local tracks.
   * Throws Superseded when a newer generation replaced this one.
   */
  private async connect(gen: number, producers: RemoteProducer[]): Promise<void> {
    // Both transports at once: after a worker died, every round trip counts.
    const recv = this.transports.create('recv', gen);
    const send = this.transports.create('send', gen);
    recv.catch(() => undefined);
    send.catch(() => undefined);
    this.transports.recv = await recv;
    const consuming = this.receiver.consumeAll(producers);
    await this.sender.capture;
    this.generation.assertCurrent(gen);
    this.transports.send = await send;
    await this.sender.produceAll(gen);
    await Promise.all(consuming);
  }
}
