/**
 * The SRTP scenario's load generator (see bench/media.ts): mediasoup workers of their own, apart
 * from the systems under test, standing in for browsers at both ends.
 *   - sending side: the benchmark's plain RTP enters a generator router on a plain transport
 *     and leaves it, SRTP-encrypted, on a second plain transport towards the system's ingest;
 *     the generator is the sender of transport-cc / REMB, so it gets (and digests) the
 *     system's feedback;
 *   - receiving side: what the system forwards lands on an SRTP plain transport of a generator
 *     router, one producer per consumer of the system, so it is decrypted, counted (received
 *     and lost, by sequence number), NACKed and answered with transport-cc or REMB feedback, as
 *     a browser would.
 * Their CPU is reported apart from the workers under test.
 */
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';

export type Feedback = 'transport-cc' | 'remb' | 'none';

export interface SrtpScenario {
  suite: ms.SrtpCryptoSuite;
  feedback: Exclude<Feedback, 'none'>;
}

/**
 * A router's capabilities with one kind of congestion-control feedback: transport-cc (the
 * transport-wide sequence number header extension, as Chrome sends), REMB (abs-send-time, as
 * older clients), or none (receivers that never answer, which mediasoup would otherwise probe).
 */
export function capsWith(caps: ms.RtpCapabilities, feedback: Feedback): ms.RtpCapabilities {
  // Each kind of feedback: its RTCP feedback type and the header extension it rides on.
  const kinds = { 'transport-cc': { fb: 'transport-cc', ext: /transport-wide-cc/ }, remb: { fb: 'goog-remb', ext: /abs-send-time/ } };
  const dropped = Object.entries(kinds).filter(([k]) => k !== feedback).map(([, v]) => v);
  return {
    codecs: (caps.codecs ?? []).map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((fb) => !dropped.some((d) => d.fb === fb.type)) })),
    headerExtensions: (caps.headerExtensions ?? []).filter((h) => !dropped.some((d) => d.ext.test(h.uri))),
  };
}

/** One generator router: the sending and receiving ends of one room's participants. */
export class GenRouter {
  /** Producers that receive what the system forwards, for their counters. */
  readonly sinks: ms.Producer[] = [];
  readonly recvPorts: number[] = [];

  constructor(
    private readonly router: ms.Router,
    private readonly listenInfo: ms.TransportListenInfo,
    private readonly release: () => void,
  ) {}

  get rtpCapabilities(): ms.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  /**
   * A participant's sending end: plain RTP from the benchmark in (`port`), SRTP out. `key` is
   * the outgoing transport's key, for the system's ingest; `connect()` points it at the ingest
   * and returns the RTP parameters the system's producers get (what the generator sends).
   */
  async sender(suite: ms.SrtpCryptoSuite): Promise<{
    port: number;
    key: ms.SrtpParameters;
    connect(port: number, key: ms.SrtpParameters, plain: { audio: ms.RtpParameters; video: ms.RtpParameters }, caps: ms.RtpCapabilities): Promise<{ audio: ms.RtpParameters; video: ms.RtpParameters }>;
  }> {
    const input = await this.router.createPlainTransport({ listenInfo: this.listenInfo, rtcpMux: true, comedia: true });
    const out = await this.router.createPlainTransport({ listenInfo: this.listenInfo, rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: suite });
    return {
      port: input.tuple.localPort,
      key: out.srtpParameters!,
      connect: async (port, key, plain, caps) => {
        await out.connect({ ip: '127.0.0.1', port, srtpParameters: key });
        const send = async (kind: 'audio' | 'video') => {
          const p = await input.produce({ kind, rtpParameters: plain[kind] });
          const c = await out.consume({ producerId: p.id, rtpCapabilities: caps });
          return c.rtpParameters;
        };
        return { audio: await send('audio'), video: await send('video') };
      },
    };
  }

  /**
   * A participant's receiving end: an SRTP plain transport the system's egress sends to
   * (`port`, `key`); `connect()` gives it the egress's key, `sink()` one producer per consumer.
   */
  async receiver(suite: ms.SrtpCryptoSuite): Promise<{ port: number; key: ms.SrtpParameters; connect(key: ms.SrtpParameters): Promise<void>; sink(kind: 'audio' | 'video', rtpParameters: ms.RtpParameters): Promise<void> }> {
    const t = await this.router.createPlainTransport({ listenInfo: this.listenInfo, rtcpMux: true, comedia: true, enableSrtp: true, srtpCryptoSuite: suite });
    this.recvPorts.push(t.tuple.localPort);
    return {
      port: t.tuple.localPort,
      key: t.srtpParameters!,
      connect: (key) => t.connect({ srtpParameters: key }),
      sink: async (kind, rtpParameters) => {
        // The consumer's own parameters: its SSRCs, payload types and header extension ids.
        const { mid: _mid, ...params } = rtpParameters;
        this.sinks.push(await t.produce({ kind, rtpParameters: params }));
      },
    };
  }

  /** Packets the receiving ends got, and packets they expected (by sequence number). */
  async received(): Promise<{ count: number; span: number }> {
    const stats = await Promise.all(this.sinks.map((p) => p.getStats()));
    let count = 0;
    let span = 0;
    for (const list of stats) {
      for (const s of list) {
        if (s.type !== 'inbound-rtp') continue;
        count += s.packetCount;
        span += s.packetCount + Math.max(0, s.packetsLost);
      }
    }
    return { count, span };
  }

  close(): void {
    this.router.close();
    this.release();
  }
}

/**
 * The generator's workers. Each room's generator router goes on the worker with the fewest
 * routers of the same system (`key`), so each system's rooms spread over all of them.
 */
export class GenPool {
  private readonly list: { pid: number; worker: ms.Worker; routers: Map<string, number> }[] = [];

  constructor(
    private readonly s: { numWorkers: number; rtcMinPort: number; rtcMaxPort: number; workerBin?: string; mediaCodecs: ms.RouterRtpCodecCapability[] },
  ) {}

  async start(): Promise<void> {
    const { numWorkers, rtcMinPort, rtcMaxPort, workerBin } = this.s;
    for (let i = 0; i < numWorkers; i++) {
      const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort, rtcMaxPort, ...(workerBin ? { workerBin } : {}) });
      this.list.push({ pid: worker.pid, worker, routers: new Map() });
    }
  }

  workers(): { pid: number; worker: ms.Worker }[] {
    return this.list.map(({ pid, worker }) => ({ pid, worker }));
  }

  async openRouter(key: string): Promise<GenRouter> {
    const count = (w: (typeof this.list)[number]) => w.routers.get(key) ?? 0;
    const host = this.list.reduce((a, b) => (count(b) < count(a) ? b : a));
    host.routers.set(key, count(host) + 1);
    const router = await host.worker.createRouter({ mediaCodecs: this.s.mediaCodecs });
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1', portRange: { min: this.s.rtcMinPort, max: this.s.rtcMaxPort } };
    return new GenRouter(router, listenInfo, () => host.routers.set(key, count(host) - 1));
  }

  close(): void {
    for (const { worker } of this.list) worker.close();
  }
}
