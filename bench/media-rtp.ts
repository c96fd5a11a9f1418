/**
 * The load generator and the receivers of the media benchmark (see bench/media.ts, "## Method").
 *
 * Senders: one connected UDP socket per participant, aimed at that participant's comedia
 * PlainTransport; an Opus-like audio stream and a VP8 video stream with a valid payload
 * descriptor, keyframes marked (VP8 payload header P bit = 0) at start, on every resume and
 * periodically, RTP marker bit on the last packet of each frame. Packets are written into
 * pre-allocated ring buffers (no allocation per packet) and sent from one shared timer.
 *
 * Receivers: one UDP socket per receiving PlainTransport. Each counts RTP packets and the
 * sequence-number span per SSRC (mediasoup keeps a consumer's sequence numbers contiguous
 * and preserves gaps), so loss = 1 - received / span, without clock alignment between the
 * sender and the receiver.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface RateSettings {
  audioPps: number;
  audioPayloadBytes: number;
  videoKbps: number;
  videoFps: number;
  /** Largest VP8 payload per packet (after the 4-byte payload descriptor). */
  videoMaxChunk: number;
  /** A keyframe is this many times the size of a delta frame. */
  keyframeFactor: number;
  keyframeIntervalMs: number;
}

export const OPUS_PT = 100;
export const VP8_PT = 101;
const RTP_HEADER = 12;
const VP8_DESCRIPTOR = 4; // X|S byte, I byte, 15-bit picture id
const AUDIO_RING = 32;
const VIDEO_RING = 128;
/**
 * A stream further behind than this (the process was not scheduled: the cores are shared)
 * skips ahead, counted, instead of bursting to catch up; shorter stalls are caught up in a
 * burst, so the offered load holds on a busy host.
 */
const MAX_CATCH_UP_MS = 250;
/** mediasoup's bandwidth probation stream; never counted as media. */
const PROBATION_SSRC = 1234;

function ring(count: number, size: number, ssrc: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.allocUnsafeSlow(size);
    for (let j = RTP_HEADER; j < size; j++) b[j] = (j * 131 + i * 17 + ssrc) & 0xff;
    b[0] = 0x80; // V=2, no padding, no extension, no CSRC
    b.writeUInt32BE(ssrc >>> 0, 8);
    out.push(b);
  }
  return out;
}

/** Split `bytes` into packets of at most `max` bytes, balanced like libwebrtc's packetizer. */
function split(bytes: number, max: number): number[] {
  const n = Math.max(1, Math.ceil(bytes / max));
  const base = Math.floor(bytes / n);
  return Array.from({ length: n }, (_, i) => base + (i < bytes - base * n ? 1 : 0));
}

class AudioStream {
  private readonly bufs: Buffer[];
  private slot = 0;
  private seq = Math.floor(Math.random() * 0xffff);
  private ts = Math.floor(Math.random() * 0x7fffffff);
  private next = 0;
  private readonly interval: number;
  private readonly len: number;

  constructor(readonly ssrc: number, rate: RateSettings) {
    this.len = RTP_HEADER + rate.audioPayloadBytes;
    this.bufs = ring(AUDIO_RING, this.len, ssrc);
    this.interval = 1000 / rate.audioPps;
  }

  resume(now: number, phase: number): void {
    this.next = now + phase * this.interval;
  }

  /** Sends what is due. */
  pump(sock: dgram.Socket, now: number, out: Counters): void {
    if (now - this.next > MAX_CATCH_UP_MS) {
      const behind = Math.floor((now - this.next) / this.interval);
      out.skipped += behind;
      this.next += behind * this.interval;
      // Sequence numbers stay contiguous: packets never sent are the generator's shortfall
      // (reported as such), not loss in the SFU.
      this.ts = (this.ts + behind * 960) >>> 0;
    }
    while (this.next <= now) {
      const b = this.bufs[this.slot];
      this.slot = (this.slot + 1) % AUDIO_RING;
      b[1] = OPUS_PT;
      b.writeUInt16BE(this.seq, 2);
      b.writeUInt32BE(this.ts, 4);
      this.seq = (this.seq + 1) & 0xffff;
      this.ts = (this.ts + 960) >>> 0; // 20 ms at 48 kHz
      sock.send(b, 0, this.len);
      out.sent++;
      this.next += this.interval;
    }
  }
}

class VideoStream {
  private readonly bufs: Buffer[];
  private slot = 0;
  private seq = Math.floor(Math.random() * 0xffff);
  private ts = Math.floor(Math.random() * 0x7fffffff);
  private pictureId = Math.floor(Math.random() * 0x7fff);
  private next = 0;
  private nextKey = 0;
  private readonly interval: number;
  private readonly tsStep: number;
  private readonly delta: number[];
  private readonly key: number[];

  constructor(readonly ssrc: number, private readonly rate: RateSettings) {
    this.bufs = ring(VIDEO_RING, RTP_HEADER + VP8_DESCRIPTOR + rate.videoMaxChunk, ssrc);
    this.interval = 1000 / rate.videoFps;
    this.tsStep = Math.round(90000 / rate.videoFps);
    const frameBytes = Math.round((rate.videoKbps * 1000) / 8 / rate.videoFps);
    this.delta = split(frameBytes, rate.videoMaxChunk);
    this.key = split(frameBytes * rate.keyframeFactor, rate.videoMaxChunk);
  }

  /** Starts (again) with a keyframe, as a browser does when asked after a pause. */
  resume(now: number, phase: number): void {
    this.next = now + phase * this.interval;
    this.nextKey = this.next;
  }

  pump(sock: dgram.Socket, now: number, out: Counters): void {
    if (now - this.next > MAX_CATCH_UP_MS) {
      const behind = Math.floor((now - this.next) / this.interval);
      out.skipped += behind * this.delta.length;
      this.next += behind * this.interval;
      this.ts = (this.ts + behind * this.tsStep) >>> 0;
      this.pictureId = (this.pictureId + behind) & 0x7fff;
    }
    while (this.next <= now) {
      const isKey = this.next >= this.nextKey;
      if (isKey) this.nextKey = this.next + this.rate.keyframeIntervalMs;
      const sizes = isKey ? this.key : this.delta;
      for (let i = 0; i < sizes.length; i++) {
        const b = this.bufs[this.slot];
        this.slot = (this.slot + 1) % VIDEO_RING;
        const last = i === sizes.length - 1;
        b[1] = VP8_PT | (last ? 0x80 : 0); // marker bit on the frame's last packet
        b.writeUInt16BE(this.seq, 2);
        b.writeUInt32BE(this.ts, 4);
        // VP8 payload descriptor (RFC 7741): X=1, S on the first packet, partition 0;
        // I=1; 15-bit picture id (M=1).
        b[12] = i === 0 ? 0x90 : 0x80;
        b[13] = 0x80;
        b[14] = 0x80 | (this.pictureId >> 8);
        b[15] = this.pictureId & 0xff;
        if (i === 0) {
          // VP8 payload header: frame tag with show_frame=1 and the inverse keyframe bit P.
          b[16] = isKey ? 0x10 : 0x11;
          if (isKey) {
            b[19] = 0x9d; // keyframe start code and 640x360
            b[20] = 0x01;
            b[21] = 0x2a;
            b.writeUInt16LE(640, 22);
            b.writeUInt16LE(360, 24);
          }
        }
        this.seq = (this.seq + 1) & 0xffff;
        sock.send(b, 0, RTP_HEADER + VP8_DESCRIPTOR + sizes[i]);
        out.sent++;
      }
      this.ts = (this.ts + this.tsStep) >>> 0;
      this.pictureId = (this.pictureId + 1) & 0x7fff;
      this.next += this.interval;
    }
  }
}

export interface Counters {
  sent: number;
  skipped: number;
}

/** One participant's outgoing media: a socket connected to its comedia PlainTransport. */
export class Sender {
  readonly audio: AudioStream;
  readonly video: VideoStream;
  private constructor(
    readonly sock: dgram.Socket,
    readonly counters: Counters,
    rate: RateSettings,
    audioSsrc: number,
    videoSsrc: number,
  ) {
    this.audio = new AudioStream(audioSsrc, rate);
    this.video = new VideoStream(videoSsrc, rate);
  }

  static async open(port: number, counters: Counters, rate: RateSettings, audioSsrc: number, videoSsrc: number): Promise<Sender> {
    const sock = dgram.createSocket('udp4');
    sock.on('error', () => undefined);
    sock.on('message', () => undefined); // RTCP receiver reports and PLIs from the worker
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => sock.connect(port, '127.0.0.1', () => r()));
    return new Sender(sock, counters, rate, audioSsrc, videoSsrc);
  }

  resume(now: number): void {
    this.audio.resume(now, Math.random());
    this.video.resume(now, Math.random());
  }

  pump(now: number): void {
    this.audio.pump(this.sock, now, this.counters);
    this.video.pump(this.sock, now, this.counters);
  }

  close(): void {
    this.sock.close();
  }
}

/** A set of senders switched on and off together (one room of one system). */
export class SenderGroup {
  readonly senders: Sender[] = [];
  readonly counters: Counters = { sent: 0, skipped: 0 };
  active = false;
}

/**
 * One timer drives every active group. The time spent inside the timer callback (sending
 * is synchronous: uv_udp_try_send) is accumulated as the generator's own cost.
 */
export class Generator {
  private readonly groups = new Set<SenderGroup>();
  private timer?: NodeJS.Timeout;
  /** Milliseconds spent inside the send loop. */
  busyMs = 0;

  constructor(private readonly tickMs = 4) {}

  add(g: SenderGroup): void {
    this.groups.add(g);
  }

  remove(g: SenderGroup): void {
    this.groups.delete(g);
  }

  setActive(g: SenderGroup, active: boolean): void {
    if (active && !g.active) {
      const now = performance.now();
      for (const s of g.senders) s.resume(now);
    }
    g.active = active;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Longest gap between two timer ticks since the last reset (event-loop stalls). */
  maxGapMs = 0;
  private lastTick = 0;

  private tick(): void {
    const t0 = performance.now();
    if (this.lastTick && t0 - this.lastTick > this.maxGapMs) this.maxGapMs = t0 - this.lastTick;
    this.lastTick = t0;
    for (const g of this.groups) {
      if (!g.active) continue;
      for (const s of g.senders) s.pump(t0);
    }
    this.busyMs += performance.now() - t0;
  }
}

export interface RecvCounters {
  /** RTP packets received. */
  count: number;
  /** Sum over streams of the advance of the highest sequence number (packets expected). */
  span: number;
}

/** A local UDP socket a receiving PlainTransport is connected to. */
export class Receiver {
  private readonly streams = new Map<number, { hi: number }>();

  private constructor(readonly sock: dgram.Socket, readonly counters: RecvCounters) {}

  get port(): number {
    return this.sock.address().port;
  }

  static async open(counters: RecvCounters, recvBufferBytes: number): Promise<Receiver> {
    const sock = dgram.createSocket('udp4');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    try {
      sock.setRecvBufferSize(recvBufferBytes);
    } catch {
      // capped by net.core.rmem_max; the default still works, with less slack
    }
    const rx = new Receiver(sock, counters);
    sock.on('message', (m: Buffer) => rx.onPacket(m));
    return rx;
  }

  private onPacket(m: Buffer): void {
    if (m.length < RTP_HEADER) return;
    const pt = m[1] & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP (sender reports) on the muxed port
    const ssrc = m.readUInt32BE(8);
    if (ssrc === PROBATION_SSRC) return;
    const seq = m.readUInt16BE(2);
    const c = this.counters;
    c.count++;
    const st = this.streams.get(ssrc);
    if (!st) {
      this.streams.set(ssrc, { hi: seq });
      c.span++;
      return;
    }
    const d = (seq - st.hi) & 0xffff;
    if (d !== 0 && d < 0x8000) {
      c.span += d;
      st.hi = seq;
    }
  }

  close(): void {
    this.sock.close();
  }
}
