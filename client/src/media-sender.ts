import type { types as msc } from 'mediasoup-client';
import { C2S, type MediaKind, type MediaSource } from '../../src/signaling/catalogue';
import type { LocalTrackInfo } from './debug-api';
import type { MediaConnectionEvents } from './media-connection';
import { Superseded, type MediaGeneration } from './media-generation';
import type { MediaTransports, SourceAppData } from './media-transports';
import type { Signaling } from './signaling';

/**
 * The sending side of one call's media: the local microphone and camera tracks, the user's
 * mute and camera choices, and a producer per local track on the send transport. The tracks
 * and the choices survive a media reconnect; the producers do not.
 */
export class MediaSender {
  /** The local capture start() began; producing waits for it. */
  capture: Promise<void> | null = null;
  private readonly producers = new Map<MediaSource, msc.Producer>();
  /** Sources being produced, with the generation producing them. */
  private readonly producing = new Map<MediaSource, number>();
  /** Every track this session acquired, stopped ones included: close() stops them all. */
  private readonly acquiredTracks = new Set<MediaStreamTrack>();
  private video = false;
  private captured = false;
  /** The user's choices; they survive a media reconnect (a muted mic is produced, then paused). */
  private micOn = true;
  private cameraOn = true;
  private micTrack: MediaStreamTrack | null = null;
  private cameraTrack: MediaStreamTrack | null = null;

  constructor(
    private readonly signaling: Signaling,
    private readonly generation: MediaGeneration,
    private readonly transports: MediaTransports,
    private readonly events: MediaConnectionEvents,
  ) {}

  get hasCamera(): boolean {
    return this.video && this.captured;
  }

  get micEnabled(): boolean {
    return this.micOn;
  }

  get cameraEnabled(): boolean {
    return this.cameraOn && this.cameraTrack?.readyState === 'live';
  }

  /** Opens the microphone, and the camera for a video call only; the preview shows once they are live. */
  startCapture(media: MediaKind): void {
    this.video = media === 'video';
    this.cameraOn = this.video;
    const capture = navigator.mediaDevices.getUserMedia({ audio: true, video: this.video }).then((stream) => {
      for (const track of stream.getTracks()) this.adopt(track);
      this.micTrack = stream.getAudioTracks()[0] ?? null;
      this.cameraTrack = stream.getVideoTracks()[0] ?? null;
      if (this.micTrack) this.micTrack.enabled = this.micOn;
      this.captured = true;
      if (!this.generation.closed) this.events.localPreviewChanged(this.previewStream());
    });
    capture.catch(() => undefined); // awaited by the connection; this only keeps an early exit from leaving it unhandled
    this.capture = capture;
  }

  /** Produces both local tracks on the send transport of generation `gen`. */
  async produceAll(gen: number): Promise<void> {
    await Promise.all([this.produceTrack('mic', gen), this.produceTrack('camera', gen)]);
  }

  /** Mute or unmute the microphone (the server tells the others). */
  async setMicEnabled(enabled: boolean): Promise<void> {
    if (this.generation.closed) return;
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
    if (this.generation.closed || !this.hasCamera) return;
    if (enabled) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const [track] = stream.getVideoTracks();
      this.adopt(track);
      if (this.generation.closed) return;
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
        const gen = this.generation.current;
        await this.produceTrack('camera', gen).catch((err) => {
          if (!this.generation.isStale(gen)) throw err;
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

  localTracks(): LocalTrackInfo[] {
    return [...this.acquiredTracks].map((t) => ({ kind: t.kind, readyState: t.readyState, enabled: t.enabled }));
  }

  /** Closes every producer (the local tracks keep running: `stopTracks: false`). */
  closeProducers(): void {
    for (const producer of this.producers.values()) producer.close();
    this.producers.clear();
  }

  /** Stops every local track this session acquired: the camera and microphone are released. */
  stopTracks(): void {
    for (const track of this.acquiredTracks) track.stop();
  }

  /**
   * Produces one local track unless it is already produced, being produced, or off (a stopped
   * camera is produced when it is turned on). A muted mic is produced, then paused.
   */
  private async produceTrack(source: MediaSource, gen: number): Promise<void> {
    const transport = this.transports.send;
    const track = source === 'mic' ? this.micTrack : this.cameraTrack;
    if (!transport || transport.closed || this.producers.has(source) || this.producing.get(source) === gen) return;
    if (!track || track.readyState !== 'live' || (source === 'camera' && !this.cameraOn)) return;
    this.producing.set(source, gen);
    try {
      const producer = await transport.produce({ track, stopTracks: false, appData: { source } satisfies SourceAppData });
      if (this.generation.isStale(gen)) {
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
  private async unlessRebuilt(producer: msc.Producer, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (producer.closed || this.generation.closed) return;
      throw err;
    }
  }

  /** Tells the server a producer's paused state; quiet if the producer went with a media reconnect. */
  private tellProducerState(producer: msc.Producer, enabled: boolean): Promise<void> {
    return this.unlessRebuilt(producer, () => this.signaling.request(enabled ? C2S.resumeProducer : C2S.pauseProducer, { producerId: producer.id }));
  }

  /** Takes ownership of a local track; a track arriving after close() is stopped at once. */
  private adopt(track: MediaStreamTrack): void {
    this.acquiredTracks.add(track);
    if (this.generation.closed) track.stop();
  }

  private previewStream(): MediaStream | null {
    const video = [...this.acquiredTracks].filter((t) => t.kind === 'video' && t.readyState === 'live');
    return video.length ? new MediaStream(video) : null;
  }
}
