/**
 * The two systems the media benchmark drives with the same load (see bench/media.ts):
 *   ours: the gateway's media layer (MediaService -> WorkerPool -> MediaRoom), as the call
 *         domain uses it, including its bookkeeping and validation on every call.
 *   bare: the same mediasoup operations written directly against mediasoup, no gateway code.
 * Both use the same worker binary, worker count, router codecs and transport options.
 */
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { loadConfig } from '../src/config/app-config';
import type { RoomSink } from '../src/media/media.port';
import { MediaService } from '../src/media/media.service';
import { createPlainTransport, consumerStats } from '../src/media/plain-transports';

export type Kind = 'audio' | 'video';

/** One room (one router) of a system, through that system's own API. */
export interface RoomHandle {
  readonly workerPid: number;
  readonly rtpCapabilities: ms.RtpCapabilities;
  /**
   * A comedia PlainTransport for a participant's outgoing media; returns its local port.
   * `srtp`: the media arrives SRTP-encrypted with that suite, and `srtpParameters` is this
   * transport's key; the sender's key is given with keyIngest().
   */
  createIngest(userId: string, srtp?: ms.SrtpCryptoSuite): Promise<Ingest>;
  /** SRTP: the sender's key (the comedia transport learns the sender's address from its first packet). */
  keyIngest(transportId: string, srtpParameters: ms.SrtpParameters): Promise<void>;
  produce(userId: string, transportId: string, kind: Kind, rtpParameters: ms.RtpParameters): Promise<string>;
  /** A PlainTransport sending to a local UDP port; `srtp`: SRTP to a receiver with that key (and suite). */
  createEgress(userId: string, port: number, srtp?: ms.SrtpParameters): Promise<Egress>;
  /** Creates the consumer paused, then resumes it (as for a browser); returns it with what it sends. */
  consume(userId: string, transportId: string, producerId: string, caps: ms.RtpCapabilities): Promise<{ consumerId: string; rtpParameters: ms.RtpParameters }>;
  /** The sending side's bandwidth estimate of an egress transport (bps): it moves only when receivers send feedback. */
  egressBitrate(transportId: string): Promise<number | undefined>;
  /** The worker's outbound packet counter for one consumer. */
  consumerPackets(userId: string, consumerId: string): Promise<number>;
  close(): void;
}

export interface Ingest {
  transportId: string;
  port: number;
  srtpParameters?: ms.SrtpParameters;
}

export interface Egress {
  transportId: string;
  srtpParameters?: ms.SrtpParameters;
}

export interface MediaSystem {
  readonly label: 'ours' | 'bare';
  start(): Promise<void>;
  openRoom(id: string): Promise<RoomHandle>;
  workers(): { pid: number; worker: ms.Worker }[];
  close(): void;
}

export interface SystemSettings {
  numWorkers: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  workerBin?: string;
  mediaCodecs: ms.RouterRtpCodecCapability[];
}

const noopSink: RoomSink = {
  producerClosed: () => undefined,
  consumerClosed: () => undefined,
  rehomed: () => undefined,
  failed: (reason) => console.error(`media room failed during the benchmark: ${reason}`),
};

/** The gateway's media layer. */
export class OursSystem implements MediaSystem {
  readonly label = 'ours' as const;
  private readonly svc: MediaService;

  /** Its own media layer from `s`, or the one of a running gateway (then start() and close() are the gateway's). */
  constructor(s: SystemSettings | MediaService) {
    if (s instanceof MediaService) {
      this.svc = s;
      return;
    }
    this.svc = new MediaService(
      loadConfig(
        {},
        {
          MEDIASOUP_NUM_WORKERS: String(s.numWorkers),
          LOG_LEVEL: 'silent',
          MEDIASOUP_LOG_LEVEL: 'warn',
          MEDIASOUP_LISTEN_IP: '127.0.0.1',
          // Server mode as deployed, but each worker's WebRtcServer takes its two ports from this
          // system's own range, so it can never collide with bare's range (or a running gateway).
          RTC_PORT_MODE: 'server',
          RTC_SERVER_PORT: '0',
          RTC_MIN_PORT: String(s.rtcMinPort),
          RTC_MAX_PORT: String(s.rtcMaxPort),
          ...(s.workerBin ? { MEDIASOUP_WORKER_BIN: s.workerBin } : {}),
        },
      ),
    );
  }

  async start(): Promise<void> {
    await this.svc.onModuleInit();
  }

  workers(): { pid: number; worker: ms.Worker }[] {
    return this.svc.pool.list().map((w) => ({ pid: w.pid, worker: w.worker }));
  }

  async openRoom(callId: string): Promise<RoomHandle> {
    const svc = this.svc;
    await svc.openRoom(callId, noopSink);
    const room = svc.room(callId);
    const plain = new Map<string, ms.PlainTransport>();
    return {
      workerPid: room.host.pid,
      rtpCapabilities: room.rtpCapabilities,
      async createIngest(userId, srtp) {
        const t = await createPlainTransport(room, userId, { comedia: true, srtp });
        plain.set(t.id, t);
        return { transportId: t.id, port: t.tuple.localPort, srtpParameters: t.srtpParameters };
      },
      async keyIngest(transportId, srtpParameters) {
        await plain.get(transportId)!.connect({ srtpParameters });
      },
      async produce(userId, transportId, kind, rtpParameters) {
        const p = await room.produce(userId, { transportId, kind, source: kind === 'audio' ? 'mic' : 'camera', rtpParameters });
        return p.producerId;
      },
      async createEgress(userId, port, srtp) {
        const t = await createPlainTransport(room, userId, { comedia: false, srtp: srtp?.cryptoSuite });
        plain.set(t.id, t);
        await t.connect({ ip: '127.0.0.1', port, ...(srtp ? { srtpParameters: srtp } : {}) });
        return { transportId: t.id, srtpParameters: t.srtpParameters };
      },
      async consume(userId, transportId, producerId, rtpCapabilities) {
        const ack = await room.consume(userId, { transportId, producerId, rtpCapabilities });
        await room.resumeConsumer(userId, ack.consumerId);
        return { consumerId: ack.consumerId, rtpParameters: ack.rtpParameters as ms.RtpParameters };
      },
      async egressBitrate(transportId) {
        return (await plain.get(transportId)!.getStats())[0]?.availableOutgoingBitrate;
      },
      async consumerPackets(userId, consumerId) {
        return (await consumerStats(room, userId, consumerId)).packetCount;
      },
      close: () => svc.closeRoom(callId),
    };
  }

  close(): void {
    this.svc.onApplicationShutdown();
  }
}

/** mediasoup alone: what a minimal script would do. */
export class BareSystem implements MediaSystem {
  readonly label = 'bare' as const;
  private readonly list: { pid: number; worker: ms.Worker; routers: number }[] = [];

  constructor(private readonly s: SystemSettings) {}

  async start(): Promise<void> {
    const { numWorkers, rtcMinPort, rtcMaxPort, workerBin } = this.s;
    const workers = await Promise.all(
      Array.from({ length: numWorkers }, () => mediasoup.createWorker({ logLevel: 'warn', rtcMinPort, rtcMaxPort, ...(workerBin ? { workerBin } : {}) })),
    );
    for (const worker of workers) this.list.push({ pid: worker.pid, worker, routers: 0 });
  }

  workers(): { pid: number; worker: ms.Worker }[] {
    return this.list.map(({ pid, worker }) => ({ pid, worker }));
  }

  async openRoom(): Promise<RoomHandle> {
    // Rooms are filled one at a time, so fewest routers == fewest consumers (what ours picks by).
    const host = this.list.reduce((a, b) => (b.routers < a.routers ? b : a));
    host.routers++;
    const router = await host.worker.createRouter({ mediaCodecs: this.s.mediaCodecs });
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1', portRange: { min: this.s.rtcMinPort, max: this.s.rtcMaxPort } };
    const transports = new Map<string, ms.PlainTransport>();
    const consumers = new Map<string, ms.Consumer>();
    return {
      workerPid: host.pid,
      rtpCapabilities: router.rtpCapabilities,
      async createIngest(_userId, srtp) {
        const t = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true, ...(srtp ? { enableSrtp: true, srtpCryptoSuite: srtp } : {}) });
        transports.set(t.id, t);
        return { transportId: t.id, port: t.tuple.localPort, srtpParameters: t.srtpParameters };
      },
      async keyIngest(transportId, srtpParameters) {
        await transports.get(transportId)!.connect({ srtpParameters });
      },
      async produce(_userId, transportId, kind, rtpParameters) {
        const p = await transports.get(transportId)!.produce({ kind, rtpParameters });
        return p.id;
      },
      async createEgress(_userId, port, srtp) {
        const t = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false, ...(srtp ? { enableSrtp: true, srtpCryptoSuite: srtp.cryptoSuite } : {}) });
        await t.connect({ ip: '127.0.0.1', port, ...(srtp ? { srtpParameters: srtp } : {}) });
        transports.set(t.id, t);
        return { transportId: t.id, srtpParameters: t.srtpParameters };
      },
      async consume(_userId, transportId, producerId, rtpCapabilities) {
        const c = await transports.get(transportId)!.consume({ producerId, rtpCapabilities, paused: true });
        await c.resume();
        consumers.set(c.id, c);
        return { consumerId: c.id, rtpParameters: c.rtpParameters };
      },
      async egressBitrate(transportId) {
        return (await transports.get(transportId)!.getStats())[0]?.availableOutgoingBitrate;
      },
      async consumerPackets(_userId, consumerId) {
        const out = (await consumers.get(consumerId)!.getStats()).find((s) => s.type === 'outbound-rtp');
        return out?.packetCount ?? 0;
      },
      close: () => {
        host.routers--;
        router.close();
      },
    };
  }

  close(): void {
    for (const { worker } of this.list) worker.close();
  }
}
