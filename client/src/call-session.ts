import { Device, type types as msc } from 'mediasoup-client';
import { C2S, type CallJoinAck, type MediaKind, type MediaSource } from '../../src/signaling/catalogue';
import type { InboundStat, LocalTrackInfo } from './debug-api';
import type { Signaling } from './signaling';

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

export interface CallSessionEvents {
  remoteTrackAdded(remote: RemoteTrack): void;
  remoteTrackRemoved(remote: RemoteTrack): void;
  localPreviewChanged(stream: MediaStream | null): void;
  /** Something went wrong that does not end the call (one failed consumer, an ICE restart). */
  problem(message: string, err: unknown): void;
}

type SourceAppData = { source: MediaSource };

/**
 * One call's media: the mediasoup Device, both transports, the producers of the local tracks
 * and a consumer per remote producer. `close()` is the single, idempotent way out.
 */
export class CallSession {
  private readonly device = new Device();
  private sendTransport: msc.Transport | null = null;
  private recvTransport: msc.Transport | null = null;
  private readonly producers = new Map<MediaSource, msc.Producer>();
  private readonly consumers = new Map<string, { consumer: msc.Consumer; remote: RemoteTrack }>();
  /** Every track this session acquired, stopped ones included: close() stops them all. */
  private readonly acquiredTracks = new Set<MediaStreamTrack>();
  private readonly queued: RemoteProducer[] = [];
  private readonly requested = new Set<string>();
  private readonly closedProducers = new Set<string>();
  private closed = false;

  constructor(
    private readonly signaling: Signaling,
    readonly callId: string,
    private readonly events: CallSessionEvents,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  get hasCamera(): boolean {
    return this.producers.has('camera');
  }

  /**
   * The media handshake, in order: router capabilities → transports → produce/consume. The
   * camera starts while the receive side is set up, so remote media is not held up by it. The
   * call's media kind comes from the join ack: an audio call never opens the camera.
   */
  async start(join: CallJoinAck): Promise<void> {
    await this.device.load({ routerRtpCapabilities: join.routerRtpCapabilities as msc.RtpCapabilities });
    this.assertOpen();
    const capture = navigator.mediaDevices.getUserMedia({ audio: true, video: join.media === 'video' }).then((stream) => {
      for (const track of stream.getTracks()) this.adopt(track);
      return stream;
    });
    capture.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled

    const iceServers = join.iceServers as RTCIceServer[];
    this.recvTransport = await this.createTransport('recv', iceServers);
    const consuming = [...join.producers, ...this.queued.splice(0)].map((p) => this.consume(p));

    const stream = await capture;
    this.assertOpen();
    this.events.localPreviewChanged(this.previewStream());
    this.sendTransport = await this.createTransport('send', iceServers);
    for (const track of stream.getTracks()) {
      const source: MediaSource = track.kind === 'audio' ? 'mic' : 'camera';
      const producer = await this.sendTransport.produce({ track, stopTracks: false, appData: { source } satisfies SourceAppData });
      this.producers.set(source, producer);
      if (this.closed) producer.close();
    }
    await Promise.all(consuming);
  }

  /** Consume a remote producer; before the receive transport exists the request is queued. */
  async consume(producer: RemoteProducer): Promise<void> {
    if (this.closed || this.requested.has(producer.producerId)) return;
    if (!this.recvTransport) {
      if (!this.queued.some((q) => q.producerId === producer.producerId)) this.queued.push(producer);
      return;
    }
    this.requested.add(producer.producerId);
    const transport = this.recvTransport;
    try {
      const ack = await this.signaling.request(C2S.consume, {
        transportId: transport.id,
        producerId: producer.producerId,
        rtpCapabilities: this.device.rtpCapabilities,
      });
      if (this.closed) return;
      const consumer = await transport.consume({
        id: ack.consumerId,
        producerId: ack.producerId,
        kind: ack.kind,
        rtpParameters: ack.rtpParameters as msc.RtpParameters,
      });
      const remote: RemoteTrack = {
        producerId: ack.producerId,
        userId: ack.userId,
        kind: ack.kind,
        source: ack.source,
        consumerId: consumer.id,
        track: consumer.track,
      };
      // The producer may have gone while we were setting up.
      if (this.closed || this.closedProducers.has(producer.producerId)) {
        consumer.close();
        return;
      }
      this.consumers.set(consumer.id, { consumer, remote });
      this.events.remoteTrackAdded(remote);
      await this.signaling.request(C2S.resumeConsumer, { consumerId: consumer.id });
    } catch (err) {
      // One failed consumer is reported and skipped; the call goes on. A producer that went away
      // meanwhile is not a problem.
      if (this.closed || this.closedProducers.has(producer.producerId)) return;
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
    const producer = this.producers.get('mic');
    if (!producer || this.closed) return;
    if (enabled) producer.resume();
    else producer.pause();
    await this.signaling.request(enabled ? C2S.resumeProducer : C2S.pauseProducer, { producerId: producer.id });
  }

  /** Camera off stops the camera track (its light goes off); camera on captures a new one. */
  async setCameraEnabled(enabled: boolean): Promise<void> {
    const producer = this.producers.get('camera');
    if (!producer || this.closed) return;
    if (enabled) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const [track] = stream.getVideoTracks();
      this.adopt(track);
      this.assertOpen();
      await producer.replaceTrack({ track });
      producer.resume();
      await this.signaling.request(C2S.resumeProducer, { producerId: producer.id });
    } else {
      producer.pause();
      const old = producer.track;
      await producer.replaceTrack({ track: null });
      old?.stop();
      await this.signaling.request(C2S.pauseProducer, { producerId: producer.id });
    }
    this.events.localPreviewChanged(this.previewStream());
  }

  get micEnabled(): boolean {
    return this.producers.get('mic')?.paused === false;
  }

  get cameraEnabled(): boolean {
    const producer = this.producers.get('camera');
    return !!producer && !producer.paused && producer.track?.readyState === 'live';
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
      this.sendTransport?.close();
      this.recvTransport?.close();
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
    return (this.sendTransport?.closed ?? true) && (this.recvTransport?.closed ?? true);
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

  // ------------------------------------------------------------------ internals

  private async createTransport(direction: 'send' | 'recv', iceServers: RTCIceServer[]): Promise<msc.Transport> {
    const ack = await this.signaling.request(C2S.createTransport, { callId: this.callId, direction });
    const options: msc.TransportOptions = {
      id: ack.transportId,
      iceParameters: ack.iceParameters as msc.IceParameters,
      iceCandidates: ack.iceCandidates as msc.IceCandidate[],
      dtlsParameters: ack.dtlsParameters as msc.DtlsParameters,
      iceServers,
    };
    const transport = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    if (this.closed) {
      transport.close();
      this.assertOpen();
    }
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling.request(C2S.connectTransport, { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const { source } = appData as SourceAppData;
      this.signaling
        .request(C2S.produce, { transportId: transport.id, kind, rtpParameters, source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && !this.closed) void this.restartIce(transport, direction);
    });
    return transport;
  }

  private async restartIce(transport: msc.Transport, direction: 'send' | 'recv'): Promise<void> {
    try {
      const { iceParameters } = await this.signaling.request(C2S.restartIce, { transportId: transport.id });
      if (!this.closed) await transport.restartIce({ iceParameters: iceParameters as msc.IceParameters });
    } catch (err) {
      if (!this.closed) this.events.problem(`${direction} connection failed and could not be restarted`, err);
    }
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

  private assertOpen(): void {
    if (this.closed) throw new Error('call closed');
  }
}
