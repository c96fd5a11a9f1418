import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { types as ms } from 'mediasoup';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError, notFound } from '../common/domain-error';
import type { MediaOperations } from './media-operations.port';
import type { MediaPort, RoomSink } from './media.port';
import type { ConsumeAck, ConsumeInput, DtlsInput, MediaQualitySample, ProduceInput, ProducerInfo, RoomCounts, TransportAck, WorkerStats } from './media.types';

export type { WorkerStats } from './media.types';
import { MediaRoom } from './room';
import { rtcNetwork, type RtcNetwork } from './rtc-network';
import { WORKER_POOL_METRICS, WorkerPool, WorkerSpawnError, type PooledWorker, type WorkerPoolMetrics } from './worker-pool';
import { resolveWorkerBin } from './worker-bin';

/** config/media-codecs.json of the nearest enclosing checkout (works from src/, dist/ and bench builds). */
function codecsFile(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'config', 'media-codecs.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('config/media-codecs.json not found');
  }
}

export function loadMediaCodecs(file = codecsFile()): ms.RouterRtpCodecCapability[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { mediaCodecs: ms.RouterRtpCodecCapability[] }).mediaCodecs;
}


/** The media layer's façade: one router per call on the least-loaded worker. */
@Injectable()
export class MediaService implements MediaOperations, MediaPort, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Media');
  readonly pool: WorkerPool;
  private readonly rooms = new Map<string, MediaRoom>();
  private readonly opening = new Map<string, Promise<MediaRoom>>();
  /** Rooms whose worker died, waiting for a live worker to take them. */
  private readonly homeless = new Map<MediaRoom, number>();
  /** Each homeless room's REHOME_TIMEOUT_SECONDS deadline. */
  private readonly rehomeDeadlines = new Map<MediaRoom, NodeJS.Timeout>();
  private readonly cpuSamples = new Map<number, { at: number; cpuMs: number; maxRssKb: number; percent: number | null }>();
  private cpuTimer?: NodeJS.Timeout;
  private readonly mediaCodecs = loadMediaCodecs();
  /** Bind IP, announced address, port mode and ICE protocols of every WebRTC transport. */
  readonly network: RtcNetwork;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(WORKER_POOL_METRICS) metrics?: WorkerPoolMetrics,
  ) {
    this.network = rtcNetwork(config);
    this.pool = new WorkerPool({
      numWorkers: config.MEDIASOUP_NUM_WORKERS,
      logLevel: config.MEDIASOUP_LOG_LEVEL,
      network: this.network,
      respawnDelayMs: config.WORKER_RESPAWN_DELAY_MS,
      workerBin: resolveWorkerBin(config.MEDIASOUP_WORKER_BIN),
    });
    if (metrics) {
      this.pool.on('workerdied', (w) => metrics.workerDied(w.slot));
      this.pool.on('respawnscheduled', (slot, delayMs) => metrics.respawnScheduled(slot, delayMs));
    }
  }

  async onModuleInit(): Promise<void> {
    this.pool.on('workeradded', () => void this.rehomeAll());
    await this.pool.start();
    // CPU % over a fixed window, whoever reads it and however often.
    this.cpuTimer = setInterval(() => void this.sampleCpu(), 2000);
    this.cpuTimer.unref();
    await this.sampleCpu();
  }

  private async sampleCpu(): Promise<void> {
    const now = Date.now();
    for (const w of this.pool.list()) {
      const ru = await w.worker.getResourceUsage().catch(() => undefined);
      if (!ru) continue;
      const cpuMs = ru.ru_utime + ru.ru_stime;
      const prev = this.cpuSamples.get(w.pid);
      const percent = prev && now > prev.at ? Math.round(((cpuMs - prev.cpuMs) / (now - prev.at)) * 1000) / 10 : null;
      this.cpuSamples.set(w.pid, { at: now, cpuMs, maxRssKb: ru.ru_maxrss, percent: percent ?? prev?.percent ?? null });
    }
    for (const pid of this.cpuSamples.keys()) if (!this.pool.get(pid)) this.cpuSamples.delete(pid);
  }

  private onRouterLost(room: MediaRoom): void {
    this.homeless.set(room, Date.now());
    // Let the pool forget the dead worker before choosing a new home.
    setImmediate(() => void this.rehomeAll());
    clearTimeout(this.rehomeDeadlines.get(room));
    const deadline = setTimeout(() => {
      this.rehomeDeadlines.delete(room);
      if (this.homeless.delete(room)) room.fail('no media worker could take the call');
    }, this.config.REHOME_TIMEOUT_SECONDS * 1000);
    deadline.unref();
    this.rehomeDeadlines.set(room, deadline);
  }

  /** The room has a home again, or is gone: its deadline no longer applies. */
  private housed(room: MediaRoom): void {
    clearTimeout(this.rehomeDeadlines.get(room));
    this.rehomeDeadlines.delete(room);
  }

  private async rehomeAll(): Promise<void> {
    for (const room of [...this.homeless.keys()]) {
      if (room.isClosed) {
        this.homeless.delete(room);
        this.housed(room);
        continue;
      }
      let host: PooledWorker;
      try {
        host = this.pool.pickLeastLoaded();
      } catch {
        return; // none alive yet: the respawned worker's 'workeradded' brings us back
      }
      this.homeless.delete(room);
      try {
        const router = await host.worker.createRouter({ mediaCodecs: this.mediaCodecs, appData: { callId: room.callId } });
        room.rehome(host, router);
        this.housed(room);
      } catch (err) {
        this.logger.error({ callId: room.callId, err: (err as Error).message }, 're-home failed; retrying');
        this.homeless.set(room, Date.now());
      }
    }
  }

  /** Closes every room and worker; resolves once the worker processes have exited (their ports are free). */
  async onApplicationShutdown(): Promise<void> {
    if (this.cpuTimer) clearInterval(this.cpuTimer);
    for (const t of this.rehomeDeadlines.values()) clearTimeout(t);
    this.rehomeDeadlines.clear();
    this.homeless.clear();
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    await this.pool.close();
  }

  async openRoom(callId: string, sink: RoomSink): Promise<{ rtpCapabilities: unknown }> {
    const existing = this.rooms.get(callId);
    if (existing && !existing.isClosed) return { rtpCapabilities: existing.rtpCapabilities };
    // Two joins racing for the same call must share one router.
    let pending = this.opening.get(callId);
    if (!pending) {
      pending = this.createRoom(callId, sink).finally(() => this.opening.delete(callId));
      this.opening.set(callId, pending);
    }
    const room = await pending;
    return { rtpCapabilities: room.rtpCapabilities };
  }

  private async createRoom(callId: string, sink: RoomSink): Promise<MediaRoom> {
    const host: PooledWorker = this.pool.pickLeastLoaded();
    const router = await host.worker.createRouter({ mediaCodecs: this.mediaCodecs, appData: { callId } });
    const room = new MediaRoom(
      callId,
      host,
      router,
      {
        ...sink,
        failed: (reason) => {
          this.rooms.delete(callId);
          sink.failed(reason);
        },
      },
      this.network,
      (lost) => this.onRouterLost(lost),
      {
        budget: this.config.ROUTER_CONSUMER_BUDGET,
        makeRouter: async (avoid) => {
          const h = this.pool.pickLeastLoaded(avoid);
          if (avoid.includes(h.pid)) return null;
          return { host: h, router: await h.worker.createRouter({ mediaCodecs: this.mediaCodecs, appData: { callId } }) };
        },
      },
      { transports: this.config.MAX_TRANSPORTS_PER_PEER, producers: this.config.MAX_PRODUCERS_PER_PEER, consumers: this.config.MAX_CONSUMERS_PER_PEER },
    );
    this.rooms.set(callId, room);
    this.logger.log({ callId, workerPid: host.pid }, 'media room opened');
    return room;
  }

  /** The room, for code inside the media layer (tests, benchmarks, plain ingest). */
  room(callId: string): MediaRoom {
    const room = this.rooms.get(callId);
    if (!room || room.isClosed) throw new DomainError('INVALID_STATE', 'no media room for this call');
    return room;
  }

  /** Moves every room off a worker now (participants reconnect their media), e.g. to drain it fast. */
  async migrateRoomsOff(pid: number): Promise<number> {
    let moved = 0;
    for (const room of this.rooms.values()) {
      if (room.host.pid !== pid || room.isClosed || room.isHomeless) continue;
      const host = this.pool.pickLeastLoaded([pid]);
      const old = room.router;
      const router = await host.worker.createRouter({ mediaCodecs: this.mediaCodecs, appData: { callId: room.callId } });
      room.rehome(host, router, 'migrated');
      old.close();
      moved++;
    }
    return moved;
  }

  async drainWorker(pid: number, migrate: boolean): Promise<{ pid: number; state: string; migratedCalls: number }> {
    const w = this.pool.drain(pid);
    if (!w) throw notFound('worker');
    const migratedCalls = migrate ? await this.migrateRoomsOff(pid) : 0;
    return { pid, state: w.state, migratedCalls };
  }

  liveWorkerCount(): number {
    return this.pool.list().filter((w) => !w.worker.closed).length;
  }

  workerOf(callId: string): number | null {
    const room = this.rooms.get(callId);
    return room && !room.isClosed && !room.isHomeless ? room.host.pid : null;
  }

  /** One more worker (operators); a port it cannot bind is UNAVAILABLE, naming the port, and the pool carries on. */
  async addWorker(): Promise<WorkerStats> {
    const w = await this.pool.spawn().catch((err: unknown) => {
      throw err instanceof WorkerSpawnError ? new DomainError('UNAVAILABLE', err.message, { slot: err.slot }) : err;
    });
    return (await this.workerStats()).find((s) => s.pid === w.pid)!;
  }

  /** Per-worker load and resource use, for operators (CPU % over the last 2 s window). */
  async workerStats(): Promise<WorkerStats[]> {
    return this.pool.list().map((w) => {
      const c = this.cpuSamples.get(w.pid);
      return {
        pid: w.pid,
        state: w.state,
        slot: w.slot,
        rtcListen: w.rtcListen.map((l) => ({ ...l })),
        cpuPercent: c?.percent ?? null,
        cpuTimeMs: c?.cpuMs ?? 0,
        maxRssKb: c?.maxRssKb ?? null,
        ...w.load,
      };
    });
  }

  /** All open rooms, for operators and the media layer's own tests. */
  openRooms(): MediaRoom[] {
    return [...this.rooms.values()];
  }

  hasRoom(callId: string): boolean {
    return this.rooms.has(callId);
  }

  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  closeRoom(callId: string): void {
    const room = this.rooms.get(callId);
    if (!room) return;
    this.rooms.delete(callId);
    room.close();
  }

  removePeer(callId: string, userId: string): void {
    this.rooms.get(callId)?.removePeer(userId);
  }

  createTransport(callId: string, userId: string, direction: 'send' | 'recv'): Promise<TransportAck> {
    return this.room(callId).createWebRtcTransport(userId, direction);
  }

  connectTransport(callId: string, userId: string, transportId: string, dtls: DtlsInput): Promise<void> {
    return this.room(callId).connectTransport(userId, transportId, dtls);
  }

  restartIce(callId: string, userId: string, transportId: string): Promise<unknown> {
    return this.room(callId).restartIce(userId, transportId);
  }

  produce(callId: string, userId: string, input: ProduceInput): Promise<ProducerInfo> {
    return this.room(callId).produce(userId, input);
  }

  consume(callId: string, userId: string, input: ConsumeInput): Promise<ConsumeAck> {
    return this.room(callId).consume(userId, input);
  }

  resumeConsumer(callId: string, userId: string, consumerId: string): Promise<void> {
    return this.room(callId).resumeConsumer(userId, consumerId);
  }

  setProducerPaused(callId: string, userId: string, producerId: string, paused: boolean): Promise<ProducerInfo> {
    return this.room(callId).setProducerPaused(userId, producerId, paused);
  }

  closeProducer(callId: string, userId: string, producerId: string): void {
    this.room(callId).closeProducer(userId, producerId);
  }

  producers(callId: string): ProducerInfo[] {
    return this.rooms.get(callId)?.producers() ?? [];
  }

  async qualitySamples(callId: string): Promise<MediaQualitySample[]> {
    const room = this.rooms.get(callId);
    return room && !room.isClosed && !room.isHomeless ? room.qualitySamples() : [];
  }

  counts(callId: string): RoomCounts | undefined {
    return this.rooms.get(callId)?.counts();
  }

  /** Live mediasoup objects across every worker, read from the workers themselves. */
  async liveObjects(): Promise<{ routers: number; transports: number; producers: number; consumers: number }> {
    const totals = { routers: 0, transports: 0, producers: 0, consumers: 0 };
    for (const { worker } of this.pool.list()) {
      const dump = await worker.dump();
      totals.routers += dump.routerIds.length;
      for (const routerId of dump.routerIds) {
        const router = [...this.rooms.values()].flatMap((r) => r.allRouters()).find((r) => r.id === routerId);
        if (!router) continue;
        const rd = await router.dump();
        totals.transports += rd.transportIds.length;
        totals.producers += rd.mapProducerIdConsumerIds.length;
        totals.consumers += rd.mapConsumerIdProducerId.length;
      }
    }
    return totals;
  }
}
