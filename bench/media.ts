/**
 * npm run bench:media — how much media the mediasoup workers behind the gateway forward, and
 * what the gateway's media layer costs compared with mediasoup driven by a bare script.
 *
 * ## Method
 *
 * Two systems run in the same process, each with its own mediasoup workers (same binary, same
 * count: BENCH_MEDIA_WORKERS, default one per core), the same router codecs
 * (config/media-codecs.json) and the same transport options:
 *   - ours: the gateway's media layer (MediaService -> WorkerPool -> MediaRoom: openRoom,
 *     createPlainTransport, produce, consume + resumeConsumer, consumerStats), without
 *     HTTP/socket.io or the database;
 *   - bare: the same operations written directly against mediasoup (createWorker,
 *     createRouter, createPlainTransport, produce, consume paused + resume, getStats).
 *
 * Therapy-group scenario, one router per room, each room on the least-loaded worker:
 * 10 participants, each sending through its own comedia PlainTransport an Opus-like audio
 * stream (50 packets/s, 100-byte payloads) and a VP8 video stream (default 300 kbps at
 * 30 fps, packets balanced to at most 1000 payload bytes, a keyframe 4x the size of a delta
 * frame at start, on every resume and every 2 s; a valid VP8 payload descriptor with a
 * picture id, the VP8 payload header's P bit clear on keyframes, the RTP marker bit on each
 * frame's last packet). Each participant receives the other 9 participants' audio and video
 * on one PlainTransport connected to a UDP socket of the benchmark: 20 producers and 180
 * consumers per room, about 1,100 packets/s in and 10,000 packets/s forwarded. The receivers
 * send no RTCP feedback, so transport-cc / REMB are left out of their RTP capabilities
 * (mediasoup would otherwise probe receivers that never answer); NACK/PLI/FIR stay.
 * Everything is on 127.0.0.1.
 *
 * Ramp: rooms are added one at a time to both systems. At each step the systems are measured
 * one after the other (which goes first alternates), only the measured system's senders
 * running: a warm-up (BENCH_MEDIA_WARMUP_SECONDS), then a window of BENCH_MEDIA_STEP_SECONDS.
 * All counters are read while the senders are stopped and the sockets drained (250 ms), so
 * they cover exactly the window's packets and nothing needs clock alignment:
 *   - forwarded packets: each consumer's outbound packetCount from the worker (getStats); every
 *     video consumer must have forwarded video (keyframes marked correctly);
 *   - worker CPU: each worker's own user+system time (getResourceUsage); "µs CPU/fwd pkt" is
 *     the loaded workers' CPU time divided by the packets they forwarded (it includes receiving
 *     the incoming packets and the kernel's loopback delivery), "pkt/s per busy core" is
 *     1e6 / that: what one fully busy worker core would forward at this mix;
 *   - loss: at the receiving sockets, per consumer SSRC, 1 - packets received / sequence
 *     numbers spanned (mediasoup keeps a consumer's sequence numbers contiguous and passes
 *     gaps through). Datagrams the kernel dropped at the benchmark's own receiving sockets
 *     (/proc/net/udp) are reported apart from the rest ("loss in the SFU path"), and so are
 *     drops at the workers' ingress sockets;
 *   - the benchmark process's own CPU (load generator, receivers, control channel; the send
 *     loop alone in brackets) and the whole host's (/proc/stat), with what remains for other
 *     programs, so the generator's share of the same cores and any outside load are visible;
 *     "sent %" is the share of the offered packets the generator sent (it catches up stalls
 *     of up to 250 ms in a burst and skips beyond that) and "gen stall ms" its longest stall.
 * A system's ramp ends when loss in the SFU path exceeds BENCH_MEDIA_MAX_LOSS_PCT (0.5 %), a
 * worker uses more than BENCH_MEDIA_MAX_WORKER_CPU_PCT (90 %) of a core, or video stops being
 * forwarded. Both ramps end when the host can no longer carry the load generator: it sends
 * less than BENCH_MEDIA_MIN_SENT_PCT (97 %) of the offered load, or its receivers drop more
 * than 0.5 % (a host limit, not a worker limit, and printed as such). A limit must be seen
 * again on a re-measurement (twice more for a host limit) before it counts. The ramp also
 * ends at BENCH_MEDIA_MAX_ROOMS or when its share (72 %) of BENCH_MEDIA_MAX_SECONDS (270 s,
 * the whole run) is used up. "ours / bare" is the ratio of CPU µs per forwarded packet at the
 * same step, and over all steps both systems measured (total CPU / total packets).
 * "consumers/worker at 90 % core (projected)" scales the last step within limits linearly to
 * the CPU limit: on a small host the generator runs out of CPU well before a worker does.
 *
 * Then one speaker (audio + video) and N listeners in a single room (N from
 * BENCH_MEDIA_LISTENERS, default 10,25,50,100,200; each listener one PlainTransport and two
 * consumers), measured the same way for both systems.
 *
 * Then the therapy-group ramp again with encrypted media, once per BENCH_MEDIA_SRTP scenario
 * (default `aes-gcm/transport-cc,aes-cm/remb`: AEAD_AES_128_GCM, what Chrome negotiates over
 * DTLS-SRTP, with transport-wide congestion control; AES_CM_128_HMAC_SHA1_80 with REMB), each
 * given BENCH_MEDIA_SRTP_SECONDS (120 s). The systems' transports are SRTP plain transports,
 * and browsers are stood in for by generator mediasoup workers (BENCH_MEDIA_GEN_WORKERS, default
 * as many as the systems have; bench/media-srtp.ts): the benchmark's plain RTP is encrypted by a
 * generator router towards the system's ingest (the generator is the sender of transport-cc /
 * abs-send-time, so the system's transport-cc or REMB feedback goes back to it), and what the
 * system forwards is received by SRTP transports of generator routers, one producer per
 * consumer, so it is decrypted, counted, NACKed and answered with feedback. Loss is counted at
 * those producers by sequence number (their packetCount and packetsLost); the generator
 * workers' CPU is printed apart, and a generator worker over the CPU limit ends both ramps as a
 * host limit. "egress BWE kbps" is the systems' own bandwidth estimate towards the receivers:
 * with transport-cc it rises from its start (600 kbps) to what the room sends, proof that the
 * feedback arrives and is used. REMB packets are sent and parsed both ways as well, but the
 * GoogCC of mediasoup 3.27 runs on packet feedback only and drops REMB reports (its worker's
 * debug log says "Received REMB for packet feedback only GoogCC"), so with REMB the estimate
 * stays at its start.
 *
 * The generator is kept cheap (one timer, pre-built packets in ring buffers, one connected
 * socket per participant, no allocation per packet), but receiving ~10,000 packets/s per room
 * in Node costs about as much CPU as forwarding them, and on a 2-core machine it shares the
 * cores with the workers. So the absolute capacity printed is a floor for a dedicated SFU
 * host; CPU per forwarded packet and the ours / bare ratio are the figures that carry over.
 * Other programs running meanwhile inflate CPU per packet (shared caches, scheduling) and can
 * end the ramp early: the "other programs" column shows when that happened. Other settings:
 * BENCH_MEDIA_PARTICIPANTS, BENCH_MEDIA_VIDEO_KBPS, BENCH_MEDIA_VIDEO_FPS,
 * BENCH_MEDIA_AUDIO_PPS, BENCH_MEDIA_KEYFRAME_SECONDS, BENCH_MEDIA_ROOM_STEP,
 * BENCH_MEDIA_RTC_MIN_PORT (the two systems take 5,000 ports each from there),
 * BENCH_MEDIA_RECV_BUFFER_BYTES, MEDIASOUP_WORKER_BIN.
 */
import 'reflect-metadata';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { types as ms } from 'mediasoup';
import { loadMediaCodecs } from '../src/media/media.service';
import { cpuDelta, cpuSnapshot, udpDropsByPort } from './media-probe';
import { Generator, OPUS_PT, Receiver, SenderGroup, Sender, VP8_PT, type RateSettings, type RecvCounters } from './media-rtp';
import { capsWith, GenPool, type GenRouter, type SrtpScenario } from './media-srtp';
import { BareSystem, OursSystem, type Kind, type MediaSystem, type RoomHandle } from './media-systems';
import { printTable } from './stats';

function env(name: string, def: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
}

const WORKERS = env('BENCH_MEDIA_WORKERS', os.availableParallelism());
const PARTICIPANTS = env('BENCH_MEDIA_PARTICIPANTS', 10);
const MAX_ROOMS = env('BENCH_MEDIA_MAX_ROOMS', 40);
const ROOM_STEP = env('BENCH_MEDIA_ROOM_STEP', 1);
const WARMUP_S = env('BENCH_MEDIA_WARMUP_SECONDS', 1.5);
const STEP_S = env('BENCH_MEDIA_STEP_SECONDS', 4);
const MAX_SECONDS = env('BENCH_MEDIA_MAX_SECONDS', 270);
const LISTENERS = (process.env.BENCH_MEDIA_LISTENERS ?? '10,25,50,100,200')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const MAX_LOSS_PCT = env('BENCH_MEDIA_MAX_LOSS_PCT', 0.5);
const MAX_WORKER_CPU_PCT = env('BENCH_MEDIA_MAX_WORKER_CPU_PCT', 90);
const MIN_SENT_PCT = env('BENCH_MEDIA_MIN_SENT_PCT', 97);
const RTC_MIN_PORT = env('BENCH_MEDIA_RTC_MIN_PORT', 40000);
const RECV_BUFFER = env('BENCH_MEDIA_RECV_BUFFER_BYTES', 1 << 20);
/** Each SRTP scenario's own time for its room ramp (on top of BENCH_MEDIA_MAX_SECONDS). */
const SRTP_SECONDS = env('BENCH_MEDIA_SRTP_SECONDS', 120);
const GEN_WORKERS = env('BENCH_MEDIA_GEN_WORKERS', WORKERS);
const SUITES: Record<string, ms.SrtpCryptoSuite> = { 'aes-gcm': 'AEAD_AES_128_GCM', 'aes-cm': 'AES_CM_128_HMAC_SHA1_80' };
/** `cipher/feedback` pairs: aes-gcm or aes-cm, with transport-cc or remb; empty to leave SRTP out. */
const SRTP_SCENARIOS: SrtpScenario[] = (process.env.BENCH_MEDIA_SRTP ?? 'aes-gcm/transport-cc,aes-cm/remb')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean)
  .map((x) => {
    const [cipher, feedback] = x.split('/');
    if (!SUITES[cipher] || (feedback !== 'transport-cc' && feedback !== 'remb')) throw new Error(`BENCH_MEDIA_SRTP: ${x} is not aes-gcm|aes-cm / transport-cc|remb`);
    return { suite: SUITES[cipher], feedback };
  });
/** Share of the run's time given to the room ramp; the speaker ramp gets the rest. */
const ROOM_PHASE_SHARE = 0.72;

const RATE: RateSettings = {
  audioPps: env('BENCH_MEDIA_AUDIO_PPS', 50),
  audioPayloadBytes: 100,
  videoKbps: env('BENCH_MEDIA_VIDEO_KBPS', 300),
  videoFps: env('BENCH_MEDIA_VIDEO_FPS', 30),
  videoMaxChunk: 1000,
  keyframeFactor: 4,
  keyframeIntervalMs: env('BENCH_MEDIA_KEYFRAME_SECONDS', 2) * 1000,
};

const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const int = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '-');

let nextSsrc = 0x10000000 + Math.floor(Math.random() * 0x1000000);

const audioParameters = (ssrc: number): ms.RtpParameters => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  rtcp: { cname: `bench-${ssrc}`, reducedSize: true },
});

const videoParameters = (ssrc: number): ms.RtpParameters => ({
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: VP8_PT,
      clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    },
  ],
  encodings: [{ ssrc }],
  rtcp: { cname: `bench-${ssrc}`, reducedSize: true },
});


interface ConsumerRef {
  userId: string;
  consumerId: string;
  kind: Kind;
}

interface ProducerPair {
  userId: string;
  audio: string;
  video: string;
}

/** An SRTP room's ends: its scenario and its generator router (bench/media-srtp.ts). */
interface SrtpEnds {
  scenario: SrtpScenario;
  router: GenRouter;
}

/** One router of one system with its senders, receivers and consumers. */
export class LoadRoom {
  readonly group = new SenderGroup();
  readonly recv: RecvCounters = { count: 0, span: 0 };
  readonly receivers: Receiver[] = [];
  readonly consumers: ConsumerRef[] = [];
  readonly producers: ProducerPair[] = [];
  /** The workers' sockets of the participants' comedia transports. */
  readonly ingressPorts: number[] = [];
  /** The system's transports towards the receivers. */
  readonly egressIds: string[] = [];
  private readonly caps: ms.RtpCapabilities;

  constructor(
    readonly handle: RoomHandle,
    private readonly gen: Generator,
    readonly srtp?: SrtpEnds,
  ) {
    this.caps = capsWith(handle.rtpCapabilities, srtp?.scenario.feedback ?? 'none');
    gen.add(this.group);
  }

  async addSender(userId: string): Promise<ProducerPair> {
    const h = this.handle;
    const audioSsrc = nextSsrc++;
    const videoSsrc = nextSsrc++;
    const plain = { audio: audioParameters(audioSsrc), video: videoParameters(videoSsrc) };
    let sendTo: number;
    let audio: string;
    let video: string;
    if (this.srtp) {
      // plain RTP -> generator router -> SRTP (with transport-cc or REMB) -> the system's ingest
      const { suite } = this.srtp.scenario;
      const end = await this.srtp.router.sender(suite);
      const { transportId, port, srtpParameters } = await h.createIngest(userId, suite);
      this.ingressPorts.push(port);
      await h.keyIngest(transportId, end.key);
      const sent = await end.connect(port, srtpParameters!, plain, capsWith(this.srtp.router.rtpCapabilities, this.srtp.scenario.feedback));
      audio = await h.produce(userId, transportId, 'audio', sent.audio);
      video = await h.produce(userId, transportId, 'video', sent.video);
      sendTo = end.port;
    } else {
      const { transportId, port } = await h.createIngest(userId);
      this.ingressPorts.push(port);
      audio = await h.produce(userId, transportId, 'audio', plain.audio);
      video = await h.produce(userId, transportId, 'video', plain.video);
      sendTo = port;
    }
    this.group.senders.push(await Sender.open(sendTo, this.group.counters, RATE, audioSsrc, videoSsrc));
    const pair = { userId, audio, video };
    this.producers.push(pair);
    return pair;
  }

  /**
   * A receiving PlainTransport for `userId`, consuming every producer listed: to a socket of
   * this process, or (SRTP) to a generator router that decrypts, counts and answers feedback.
   */
  async addReceiver(userId: string, from: ProducerPair[]): Promise<void> {
    const kinds = from.flatMap((p) => (['audio', 'video'] as const).map((kind) => ({ producerId: p[kind], kind })));
    if (this.srtp) {
      const end = await this.srtp.router.receiver(this.srtp.scenario.suite);
      const { transportId, srtpParameters } = await this.handle.createEgress(userId, end.port, end.key);
      this.egressIds.push(transportId);
      await end.connect(srtpParameters!);
      await Promise.all(
        kinds.map(async ({ producerId, kind }) => {
          const c = await this.handle.consume(userId, transportId, producerId, this.caps);
          await end.sink(kind, c.rtpParameters);
          this.consumers.push({ userId, consumerId: c.consumerId, kind });
        }),
      );
      return;
    }
    const rx = await Receiver.open(this.recv, RECV_BUFFER);
    this.receivers.push(rx);
    const { transportId } = await this.handle.createEgress(userId, rx.port);
    this.egressIds.push(transportId);
    await Promise.all(
      kinds.map(async ({ producerId, kind }) => {
        const { consumerId } = await this.handle.consume(userId, transportId, producerId, this.caps);
        this.consumers.push({ userId, consumerId, kind });
      }),
    );
  }

  /** The receiving sockets (this process's, or the generator's). */
  rxPorts(): number[] {
    return this.srtp ? this.srtp.router.recvPorts : this.receivers.map((r) => r.port);
  }

  /** Packets received and expected at the receiving ends so far. */
  async received(): Promise<RecvCounters> {
    return this.srtp ? this.srtp.router.received() : { ...this.recv };
  }

  close(): void {
    this.gen.remove(this.group);
    for (const s of this.group.senders) s.close();
    for (const r of this.receivers) r.close();
    this.handle.close();
    this.srtp?.router.close();
  }
}

export async function groupRoom(sys: MediaSystem, gen: Generator, id: string, srtp?: { scenario: SrtpScenario; pool: GenPool }): Promise<LoadRoom> {
  const room = new LoadRoom(await sys.openRoom(id), gen, srtp && { scenario: srtp.scenario, router: await srtp.pool.openRouter(sys.label) });
  const users = Array.from({ length: PARTICIPANTS }, (_, i) => `${id}-p${i}`);
  const pairs = await Promise.all(users.map((u) => room.addSender(u)));
  await Promise.all(users.map((u) => room.addReceiver(u, pairs.filter((p) => p.userId !== u))));
  return room;
}

export interface Row {
  system: 'ours' | 'bare';
  step: number;
  consumers: number;
  consumersPerWorker: number[];
  fwdPps: number;
  fwdPpsPerWorker: number[];
  /** Cores, per worker of the loaded system. */
  workerCpu: number[];
  cpuUs: number;
  fwdPackets: number;
  usPerPkt: number;
  /** End-to-end loss less what the kernel dropped at the benchmark's own receiving sockets. */
  sfuLossPct: number;
  /** Dropped at the benchmark's receiving sockets (this process did not read fast enough). */
  rxDropPct: number;
  /** Datagrams dropped at the workers' ingress sockets. */
  ingressDrops: number;
  video: [number, number];
  sentPct: number;
  /** Longest gap between the generator's timer ticks (nominally 4 ms) in the window. */
  maxStallMs: number;
  /** Forwarded packets/s the offered load implies. */
  offeredFwdPps: number;
  benchCpu: number;
  sendCpu: number;
  hostCpu: number;
  /** SRTP: cores, per generator worker (the browsers' stand-ins at both ends). */
  genCpu: number[];
  /** SRTP: median bandwidth estimate of the egress transports (kbps), moved by the receivers' feedback. */
  bweKbps: number;
  note: string;
}

export interface Run {
  sys: MediaSystem;
  srtp?: { scenario: SrtpScenario; pool: GenPool };
  rooms: LoadRoom[];
  rows: Row[];
  lastOk?: Row;
  stopped?: string;
}

async function forwarded(rooms: LoadRoom[]): Promise<number[]> {
  return Promise.all(rooms.flatMap((r) => r.consumers.map((c) => r.handle.consumerPackets(c.userId, c.consumerId))));
}

/** Packets per second each stream of a room is offered (what the generator should send). */
function offeredPps(): { audio: number; video: number } {
  const framesPerKey = (RATE.keyframeIntervalMs / 1000) * RATE.videoFps;
  const frameBytes = (RATE.videoKbps * 1000) / 8 / RATE.videoFps;
  const delta = Math.ceil(frameBytes / RATE.videoMaxChunk);
  const key = Math.ceil((frameBytes * RATE.keyframeFactor) / RATE.videoMaxChunk);
  return { audio: RATE.audioPps, video: RATE.videoFps * ((delta * (framesPerKey - 1) + key) / framesPerKey) };
}

/** Time for packets in flight (socket buffers, worker queues) to land after the senders stop. */
const DRAIN_MS = 250;

/**
 * One measured step of one system. The counters (consumer stats, CPU, sockets) are read while
 * that system's senders are stopped and drained, so every count covers exactly the packets of
 * the measured window, and CPU per packet needs no clock alignment.
 */
export async function measure(gen: Generator, run: Run, step: number): Promise<Row> {
  const { sys, rooms } = run;
  const setActive = (on: boolean) => rooms.forEach((r) => gen.setActive(r.group, on));
  const workers = sys.workers();
  const genWorkers = run.srtp?.pool.workers() ?? [];
  const rxPorts = new Set(rooms.flatMap((r) => r.rxPorts()));
  const inPorts = new Set(rooms.flatMap((r) => r.ingressPorts));
  const drops = () => {
    const byPort = udpDropsByPort();
    let rx = 0, ingress = 0;
    for (const [port, n] of byPort) {
      if (rxPorts.has(port)) rx += n;
      else if (inPorts.has(port)) ingress += n;
    }
    return { rx, ingress };
  };
  const recvTotals = async () =>
    (await Promise.all(rooms.map((r) => r.received()))).reduce((a, r) => ({ count: a.count + r.count, span: a.span + r.span }), { count: 0, span: 0 });
  const sentTotals = () => rooms.reduce((a, r) => ({ sent: a.sent + r.group.counters.sent, skipped: a.skipped + r.group.counters.skipped }), { sent: 0, skipped: 0 });

  setActive(true);
  await sleep(WARMUP_S * 1000);
  setActive(false);
  await sleep(DRAIN_MS);
  const f0 = await forwarded(rooms);
  const r0 = await recvTotals();
  const g0 = sentTotals();
  const b0 = gen.busyMs;
  const d0 = drops();
  const c0 = await cpuSnapshot([...workers, ...genWorkers]);

  setActive(true);
  gen.maxGapMs = 0;
  const on = performance.now();
  await sleep(STEP_S * 1000);
  setActive(false);
  const seconds = (performance.now() - on) / 1000;
  const maxStallMs = gen.maxGapMs;
  await sleep(DRAIN_MS);

  const c1 = await cpuSnapshot([...workers, ...genWorkers]);
  const d1 = drops();
  const r1 = await recvTotals();
  const bwe = run.srtp ? await Promise.all(rooms.flatMap((r) => r.egressIds.map((id) => r.handle.egressBitrate(id)))) : [];
  const g1 = sentTotals();
  const b1 = gen.busyMs;
  const f1 = await forwarded(rooms);

  const cpu = cpuDelta(c0, c1);
  const index = new Map(workers.map((w, i) => [w.pid, i]));
  const consumersPerWorker = workers.map(() => 0);
  const fwdPerWorker = workers.map(() => 0);
  let video = 0;
  let videoOk = 0;
  let k = 0;
  for (const r of rooms) {
    const w = index.get(r.handle.workerPid) ?? 0;
    for (const c of r.consumers) {
      const d = f1[k] - f0[k];
      k++;
      consumersPerWorker[w]++;
      fwdPerWorker[w] += d;
      if (c.kind === 'video') {
        video++;
        if (d > 0) videoOk++;
      }
    }
  }
  const fwdPackets = fwdPerWorker.reduce((a, b) => a + b, 0);
  const workerMs = workers.map((w) => cpu.workerMs.get(w.pid) ?? NaN);
  const cpuMs = workerMs.reduce((a, b) => a + b, 0);
  const span = r1.span - r0.span;
  const lost = span - (r1.count - r0.count);
  const rxDrops = d1.rx - d0.rx;
  const sent = g1.sent - g0.sent;
  const skipped = g1.skipped - g0.skipped;
  const offer = offeredPps();
  const offeredFwdPps = rooms.reduce((a, r) => a + r.consumers.reduce((s, c) => s + (c.kind === 'audio' ? offer.audio : offer.video), 0), 0);
  return {
    system: sys.label,
    step,
    consumers: k,
    consumersPerWorker,
    fwdPps: fwdPackets / seconds,
    fwdPpsPerWorker: fwdPerWorker.map((n) => n / seconds),
    // The drain's work belongs to the window's packets: rates are over the sending time.
    workerCpu: workerMs.map((m) => m / 1000 / seconds),
    cpuUs: cpuMs * 1000,
    fwdPackets,
    usPerPkt: (cpuMs * 1000) / fwdPackets,
    sfuLossPct: span > 0 ? (Math.max(0, lost - rxDrops) / span) * 100 : NaN,
    rxDropPct: span > 0 ? (Math.min(lost, rxDrops) / span) * 100 : NaN,
    ingressDrops: d1.ingress - d0.ingress,
    video: [videoOk, video],
    sentPct: sent + skipped > 0 ? (sent / (sent + skipped)) * 100 : NaN,
    maxStallMs,
    offeredFwdPps,
    benchCpu: cpu.procMs / 1000 / seconds,
    sendCpu: (b1 - b0) / 1000 / seconds,
    hostCpu: cpu.host,
    genCpu: genWorkers.map((w) => (cpu.workerMs.get(w.pid) ?? NaN) / 1000 / seconds),
    bweKbps: median(bwe.filter((b): b is number => typeof b === 'number')) / 1000,
    note: '',
  };
}

export interface Verdict {
  reason: string;
  /** The host (load generator, receivers, other programs), not the SFU, is the limit. */
  host: boolean;
}

export function verdict(r: Row): Verdict | undefined {
  if (r.video[0] < r.video[1]) return { reason: `video forwarded by only ${r.video[0]}/${r.video[1]} video consumers`, host: false };
  if (!(r.sfuLossPct <= MAX_LOSS_PCT)) return { reason: `loss ${f2(r.sfuLossPct)} % > ${MAX_LOSS_PCT} % in the SFU path`, host: false };
  const hot = Math.max(...r.workerCpu);
  if (hot * 100 > MAX_WORKER_CPU_PCT) return { reason: `a worker at ${int(hot * 100)} % of a core > ${MAX_WORKER_CPU_PCT} %`, host: false };
  const genHot = Math.max(0, ...r.genCpu);
  if (genHot * 100 > MAX_WORKER_CPU_PCT) return { reason: `a generator worker at ${int(genHot * 100)} % of a core > ${MAX_WORKER_CPU_PCT} %`, host: true };
  if (!(r.rxDropPct <= MAX_LOSS_PCT)) return { reason: `the benchmark's receivers dropped ${f2(r.rxDropPct)} % (> ${MAX_LOSS_PCT} %)`, host: true };
  if (!(r.sentPct >= MIN_SENT_PCT)) return { reason: `the generator sent ${f1(r.sentPct)} % of the offered load (< ${MIN_SENT_PCT} %)`, host: true };
  return undefined;
}

/**
 * Measures every live system at this step (which goes first alternates with the step index).
 * A limit must show twice in a row (three times when it is the host's) before it counts: the
 * machine is shared, and one bad window is not a limit. When the host is the limit, the
 * ramp ends for both systems, after both were measured at this step.
 */
async function step(gen: Generator, runs: Run[], n: number, index: number): Promise<void> {
  const order = index % 2 === 0 ? runs : [...runs].reverse();
  let hostLimit: string | undefined;
  for (const run of order) {
    let row = await measure(gen, run, n);
    let why = verdict(row);
    const first = why;
    for (let retry = 0; why && retry < (why.host ? 2 : 1); retry++) {
      await sleep(500);
      row = await measure(gen, run, n);
      why = verdict(row);
    }
    if (first) row.note = why ? `limit (confirmed): ${why.reason}` : `passed on retry (first: ${first.reason})`;
    run.rows.push(row);
    if (!why) run.lastOk = row;
    else if (why.host) hostLimit = why.reason;
    else run.stopped = why.reason;
  }
  if (hostLimit) {
    for (const run of runs) run.stopped ??= `host out of CPU for the load generator (${hostLimit}), not a worker limit`;
  }
}

function progress(r: Run): string {
  const row = r.rows.at(-1)!;
  return `${r.sys.label} ${f2(row.usPerPkt)} µs/pkt, loss ${f2(row.sfuLossPct)} % (+${f2(row.rxDropPct)} % at our receivers)${r.stopped ? ', stopped' : ''}`;
}

async function roomRamp(gen: Generator, systems: MediaSystem[], deadline: number, srtp?: { scenario: SrtpScenario; pool: GenPool }): Promise<Run[]> {
  const runs: Run[] = systems.map((sys) => ({ sys, srtp, rooms: [], rows: [] }));
  const cap = srtp ? `time cap (BENCH_MEDIA_SRTP_SECONDS=${SRTP_SECONDS})` : `time cap (BENCH_MEDIA_MAX_SECONDS=${MAX_SECONDS})`;
  let lastStepMs = 0;
  for (let n = ROOM_STEP, i = 0; n <= MAX_ROOMS; n += ROOM_STEP, i++) {
    const live = runs.filter((r) => !r.stopped);
    if (!live.length) break;
    if (Date.now() + lastStepMs * 1.15 > deadline) {
      for (const r of live) r.stopped = cap;
      break;
    }
    const t0 = Date.now();
    for (const run of live) {
      while (run.rooms.length < n) run.rooms.push(await groupRoom(run.sys, gen, `${run.sys.label}-room${run.rooms.length + 1}`, srtp));
    }
    await step(gen, live, n, i);
    lastStepMs = Date.now() - t0;
    process.stderr.write(`  rooms ${n}: ${live.map(progress).join('; ')}\n`);
  }
  for (const r of runs) {
    r.stopped ??= `step cap (BENCH_MEDIA_MAX_ROOMS=${MAX_ROOMS})`;
    for (const room of r.rooms) room.close();
    r.rooms = [];
  }
  return runs;
}

async function speakerRamp(gen: Generator, systems: MediaSystem[], deadline: number): Promise<Run[]> {
  const runs: Run[] = [];
  const speakers = new Map<Run, ProducerPair>();
  for (const sys of systems) {
    const room = new LoadRoom(await sys.openRoom(`${sys.label}-speaker`), gen);
    const run: Run = { sys, rooms: [room], rows: [] };
    speakers.set(run, await room.addSender(`${sys.label}-speaker`));
    runs.push(run);
  }
  let lastStepMs = 0;
  for (const [i, n] of LISTENERS.entries()) {
    const live = runs.filter((r) => !r.stopped);
    if (!live.length) break;
    if (Date.now() + lastStepMs * 1.3 > deadline) {
      for (const r of live) r.stopped = `time cap (BENCH_MEDIA_MAX_SECONDS=${MAX_SECONDS})`;
      break;
    }
    const t0 = Date.now();
    for (const run of live) {
      const room = run.rooms[0];
      const have = room.receivers.length;
      await Promise.all(Array.from({ length: n - have }, (_, j) => room.addReceiver(`${run.sys.label}-l${have + j}`, [speakers.get(run)!])));
    }
    await step(gen, live, n, i);
    lastStepMs = Date.now() - t0;
    process.stderr.write(`  listeners ${n}: ${live.map(progress).join('; ')}\n`);
  }
  for (const r of runs) {
    r.stopped ??= 'end of the listener list (BENCH_MEDIA_LISTENERS)';
    for (const room of r.rooms) room.close();
    r.rooms = [];
  }
  return runs;
}

const perWorker = (xs: number[], f: (n: number) => string) => xs.map(f).join(' / ');

/**
 * Consumers one worker would carry at the CPU limit, scaled linearly from the loaded workers
 * of a step (the same mix of audio and video consumers). A projection, printed as such: on a
 * small host the ramp usually ends on the host's CPU before a worker's.
 */
function projectedConsumersPerWorker(r: Row): number {
  const loaded = r.consumersPerWorker.map((c, i) => [c, r.workerCpu[i]] as const).filter(([c, cpu]) => c > 0 && cpu > 0);
  if (!loaded.length) return NaN;
  return loaded.reduce((a, [c, cpu]) => a + (c * MAX_WORKER_CPU_PCT) / 100 / cpu, 0) / loaded.length;
}

function printRamp(title: string, stepName: string, runs: Run[]): void {
  const srtp = runs.some((r) => r.srtp);
  const rows = runs
    .flatMap((r) => r.rows)
    .sort((a, b) => a.step - b.step || a.system.localeCompare(b.system))
    .map((r) => [
      r.step,
      r.system,
      r.consumers,
      perWorker(r.consumersPerWorker, String),
      int(r.fwdPps),
      `${int((r.fwdPps / r.offeredFwdPps) * 100)} %`,
      perWorker(r.fwdPpsPerWorker, int),
      perWorker(r.workerCpu, (c) => f1(c * 100)),
      f2(r.usPerPkt),
      int(1e6 / r.usPerPkt),
      f2(r.sfuLossPct),
      f2(r.rxDropPct),
      r.ingressDrops,
      `${r.video[0]}/${r.video[1]}`,
      f1(r.sentPct),
      int(r.maxStallMs),
      `${f1(r.benchCpu * 100)} (${f1(r.sendCpu * 100)})`,
      ...(srtp ? [perWorker(r.genCpu, (c) => f1(c * 100)), int(r.bweKbps)] : []),
      `${f1(r.hostCpu * 100)} (${f1(Math.max(0, r.hostCpu - r.benchCpu - [...r.workerCpu, ...r.genCpu].reduce((a, b) => a + b, 0)) * 100)})`,
      r.note,
    ]);
  printTable(
    title,
    [
      stepName,
      'system',
      'consumers',
      'consumers/worker',
      'fwd pkt/s',
      'of offered',
      'fwd pkt/s/worker',
      'worker CPU % (each)',
      'µs CPU/fwd pkt',
      'pkt/s per busy core',
      'loss % SFU path',
      'drop % bench rx',
      'worker rx drops',
      'video fwd',
      'sent %',
      'gen stall ms',
      'bench proc CPU % (send loop)',
      ...(srtp ? ['generator workers CPU % (each)', 'egress BWE kbps (median)'] : []),
      `host CPU % of ${os.cpus().length * 100} (other programs)`,
      'note',
    ],
    rows,
  );
}

function printRatio(title: string, stepName: string, runs: Run[]): number {
  const ours = runs.find((r) => r.sys.label === 'ours')!;
  const bare = runs.find((r) => r.sys.label === 'bare')!;
  const rows: (string | number)[][] = [];
  let oursUs = 0, oursPk = 0, bareUs = 0, barePk = 0;
  for (const o of ours.rows) {
    const b = bare.rows.find((x) => x.step === o.step);
    if (!b) continue;
    oursUs += o.cpuUs;
    oursPk += o.fwdPackets;
    bareUs += b.cpuUs;
    barePk += b.fwdPackets;
    rows.push([o.step, f2(o.usPerPkt), f2(b.usPerPkt), f2(o.usPerPkt / b.usPerPkt), f2(o.sfuLossPct), f2(b.sfuLossPct)]);
  }
  const overall = oursUs / oursPk / (bareUs / barePk);
  rows.push(['all', f2(oursUs / oursPk), f2(bareUs / barePk), f2(overall), '', '']);
  printTable(title, [stepName, 'ours µs/fwd pkt', 'bare µs/fwd pkt', 'ours / bare', 'ours loss % SFU path', 'bare loss % SFU path'], rows);
  return overall;
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const start = Date.now();
  const watchdog = setTimeout(() => {
    console.error(`bench:media: still running ${MAX_SECONDS + SRTP_SCENARIOS.length * SRTP_SECONDS + 90} s after start; giving up`);
    process.exit(1);
  }, (MAX_SECONDS + SRTP_SCENARIOS.length * SRTP_SECONDS + 90) * 1000);
  watchdog.unref();

  const mediaCodecs = loadMediaCodecs();
  const workerBin = process.env.MEDIASOUP_WORKER_BIN?.trim() || undefined;
  const ours = new OursSystem({ numWorkers: WORKERS, rtcMinPort: RTC_MIN_PORT, rtcMaxPort: RTC_MIN_PORT + 4999, workerBin, mediaCodecs });
  const bare = new BareSystem({ numWorkers: WORKERS, rtcMinPort: RTC_MIN_PORT + 5000, rtcMaxPort: RTC_MIN_PORT + 9999, workerBin, mediaCodecs });
  await ours.start();
  await bare.start();
  const gen = new Generator();
  gen.start();

  const offer = offeredPps();
  const perParticipant = offer.audio + offer.video;
  console.log(
    [
      `bench:media — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average at start ${os.loadavg().map(f2).join(' ')}; ` +
        `${WORKERS} mediasoup workers per system; node ${process.version}`,
      `Per participant: Opus ${RATE.audioPps} pkt/s x ${12 + RATE.audioPayloadBytes} B; VP8 ${RATE.videoKbps} kbps at ${RATE.videoFps} fps, ` +
        `keyframe x${RATE.keyframeFactor} every ${RATE.keyframeIntervalMs / 1000} s (${f1(offer.video)} pkt/s). ` +
        `Per ${PARTICIPANTS}-person room: ${PARTICIPANTS * 2} producers, ${PARTICIPANTS * (PARTICIPANTS - 1) * 2} consumers, ` +
        `${int(PARTICIPANTS * perParticipant)} pkt/s in, ${int(PARTICIPANTS * (PARTICIPANTS - 1) * perParticipant)} pkt/s to forward.`,
      `Each step: ${WARMUP_S} s warm-up + ${STEP_S} s measured, one system loaded at a time. A ramp ends at loss > ${MAX_LOSS_PCT} % ` +
        `in the SFU path or a worker > ${MAX_WORKER_CPU_PCT} % of a core; both end when the host cannot carry the generator ` +
        `(< ${MIN_SENT_PCT} % of the offered load sent, or > ${MAX_LOSS_PCT} % dropped at our receivers), at ${MAX_ROOMS} rooms, or ${MAX_SECONDS} s in all.`,
    ].join('\n'),
  );

  const roomRuns = await roomRamp(gen, [ours, bare], start + MAX_SECONDS * 1000 * ROOM_PHASE_SHARE);
  const speakerRuns = await speakerRamp(gen, [ours, bare], start + MAX_SECONDS * 1000);
  const pool = new GenPool({ numWorkers: GEN_WORKERS, rtcMinPort: RTC_MIN_PORT + 10000, rtcMaxPort: RTC_MIN_PORT + 14999, workerBin, mediaCodecs });
  if (SRTP_SCENARIOS.length) await pool.start();
  const srtpRuns: { scenario: SrtpScenario; name: string; runs: Run[] }[] = [];
  for (const scenario of SRTP_SCENARIOS) {
    const name = `SRTP ${scenario.suite} + ${scenario.feedback}`;
    process.stderr.write(`${name}:\n`);
    srtpRuns.push({ scenario, name, runs: await roomRamp(gen, [ours, bare], Date.now() + SRTP_SECONDS * 1000, { scenario, pool }) });
  }
  gen.stop();

  printRamp(`Therapy groups: ${PARTICIPANTS}-person rooms added one at a time (loopback PlainTransports)`, 'rooms', roomRuns);
  const roomRatio = printRatio('Therapy groups: worker CPU per forwarded packet, ours / bare at the same step', 'rooms', roomRuns);
  printRamp('1 speaker (audio + video) -> N listeners in one room (one worker)', 'listeners', speakerRuns);
  const speakerRatio = printRatio('1 speaker -> N listeners: worker CPU per forwarded packet, ours / bare', 'listeners', speakerRuns);
  const srtpRatios: string[] = [];
  for (const { name, runs } of srtpRuns) {
    printRamp(`${name}: ${PARTICIPANTS}-person rooms, generator workers encrypting, decrypting and answering feedback at both ends`, 'rooms', runs);
    srtpRatios.push(`${name} ${f2(printRatio(`${name}: worker CPU per forwarded packet, ours / bare at the same step`, 'rooms', runs))}`);
  }

  const summaryRows = [
    ...roomRuns.map((r) => ['therapy groups', r] as const),
    ...speakerRuns.map((r) => ['1 -> N listeners', r] as const),
    ...srtpRuns.flatMap(({ name, runs }) => runs.map((r) => [`groups, ${name}`, r] as const)),
  ].map(([phase, r]) => {
    const ok = r.lastOk;
    return [
      phase,
      r.sys.label,
      ok ? ok.step : 'none',
      ok ? ok.consumers : 0,
      ok ? perWorker(ok.consumersPerWorker, String) : '-',
      ok ? int(ok.fwdPps) : '-',
      ok ? f2(ok.usPerPkt) : '-',
      ok ? int(projectedConsumersPerWorker(ok)) : '-',
      r.stopped ?? '',
    ];
  });
  printTable(
    `Capacity within the limits (ours / bare CPU per forwarded packet: groups ${f2(roomRatio)}, 1 -> N ${f2(speakerRatio)}${srtpRatios.map((r) => `, ${r}`).join('')}; ${f1((Date.now() - start) / 1000)} s)`,
    ['scenario', 'system', 'last step within limits', 'consumers', 'consumers/worker', 'fwd pkt/s', 'µs CPU/fwd pkt', `consumers/worker at ${MAX_WORKER_CPU_PCT} % core (projected)`, 'ramp ended by'],
    summaryRows,
  );
  console.log(
    '\nbench proc CPU is this process: the load generator, the receivers and the mediasoup control channel; ' +
      '"send loop" is the part spent sending. Host CPU is the whole machine; "other programs" is what is left after this ' +
      'process and the measured workers, i.e. whatever else was running meanwhile (it takes CPU from the workers and the generator).',
  );

  ours.close();
  bare.close();
  pool.close();
  await sleep(200);
  process.exit(0);
}

// bench:join drives the same rooms (LoadRoom, measure, verdict) from its own process.
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
