import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { Logger } from '@nestjs/common';
import { describeListen, webRtcServerListenInfos, type RtcListenAddress, type RtcNetwork } from './rtc-network';
import { WorkerSlots } from './worker-slots';

export interface WorkerPoolOptions {
  numWorkers: number;
  logLevel: ms.WorkerLogLevel;
  /** Bind IP, ports and mode; the workers' own port range is `network.portRange`. */
  network: RtcNetwork;
  respawnDelayMs: number;
  workerBin?: string;
}

/** A worker could not be started, e.g. its WebRtcServer port is taken. The pool and the process go on. */
export class WorkerSpawnError extends Error {
  constructor(
    message: string,
    readonly slot: number,
    readonly listen?: string,
  ) {
    super(message);
    this.name = 'WorkerSpawnError';
  }
}

/** Longest pause between two attempts to replace a dead worker whose replacement failed to start. */
const MAX_RESPAWN_BACKOFF_MS = 30_000;
/** How long close() waits for worker processes to exit (and free their ports). */
const EXIT_WAIT_MS = 5_000;

/** What a worker carries; kept by the rooms that live on it. */
export interface WorkerLoad {
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}

export interface PooledWorker {
  readonly worker: ms.Worker;
  readonly pid: number;
  /** Its place in the pool: in server mode it listens on RTC_SERVER_PORT + slot. */
  readonly slot: number;
  /** Server mode: the WebRtcServer every WebRtcTransport on this worker uses (closes with the worker). */
  readonly webRtcServer?: ms.WebRtcServer;
  /** The sockets its WebRtcServer bound (empty in range mode). */
  readonly rtcListen: RtcListenAddress[];
  readonly load: WorkerLoad;
  /** `draining`: takes no new calls; retired (closed, not replaced) once it hosts none. */
  state: 'active' | 'draining';
}

type PoolEvents = { workerdied: [PooledWorker, Error]; workeradded: [PooledWorker]; workerretired: [PooledWorker] };

/**
 * A pool of mediasoup workers. A worker that dies is logged, forgotten and replaced; the
 * process never exits because of it. New routers go to the least-loaded live worker.
 * Each worker holds a slot (the lowest free one) until its process has exited, so in server
 * mode a replacement listens on the ports of the worker it replaces.
 */
export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly logger = new Logger('WorkerPool');
  private readonly workers = new Map<number, PooledWorker>();
  private readonly slots = new WorkerSlots();
  /** Every worker process started and not yet exited, including retired and failed ones. */
  private readonly running = new Set<ms.Worker>();
  private closed = false;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: WorkerPoolOptions) {
    super();
  }

  /** Starts the configured workers; if one cannot start, stops the others and throws its error. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: this.opts.numWorkers }, () => this.spawn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const r of results) if (r.status === 'fulfilled') this.forget(r.value).worker.close();
      await this.exited();
      throw failed.reason;
    }
    const spawned = results.map((r) => (r as PromiseFulfilledResult<PooledWorker>).value);
    this.logger.log(
      { workerPids: spawned.map((w) => w.pid), rtcListen: spawned.map((w) => w.rtcListen.map((l) => `${l.protocol}/${l.port}`).join(',')) },
      'media workers started',
    );
  }

  list(): PooledWorker[] {
    return [...this.workers.values()];
  }

  get size(): number {
    return this.workers.size;
  }

  /** Least loaded by consumers+producers (the forwarding work), then by routers; avoids the given pids if it can. */
  pickLeastLoaded(avoid: number[] = []): PooledWorker {
    let best: PooledWorker | undefined;
    let fallback: PooledWorker | undefined;
    for (const w of this.workers.values()) {
      if (w.worker.closed || w.state !== 'active') continue;
      if (!fallback || score(w.load) < score(fallback.load)) fallback = w;
      if (avoid.includes(w.pid)) continue;
      if (!best || score(w.load) < score(best.load)) best = w;
    }
    const pick = best ?? fallback;
    if (!pick) throw new Error('no live media worker');
    return pick;
  }

  /**
   * Starts one worker in the lowest free slot and, in server mode, its WebRtcServer. A failure
   * (e.g. the port is taken) is logged with the port and thrown as a WorkerSpawnError; the
   * half-started worker is closed and the pool goes on without it.
   */
  async spawn(): Promise<PooledWorker> {
    if (this.closed) throw new WorkerSpawnError('the media worker pool is closed', -1);
    const net = this.opts.network;
    const slot = this.slots.acquire();
    let worker: ms.Worker;
    try {
      worker = await mediasoup.createWorker({
        logLevel: this.opts.logLevel,
        rtcMinPort: net.portRange.min,
        rtcMaxPort: net.portRange.max,
        appData: { slot },
        ...(this.opts.workerBin ? { workerBin: this.opts.workerBin } : {}),
      });
    } catch (err) {
      this.slots.release(slot);
      this.logger.error({ slot, err: (err as Error).message }, 'media worker failed to start');
      throw new WorkerSpawnError(`media worker (slot ${slot}) failed to start: ${(err as Error).message}`, slot);
    }
    // The slot, and the ports that go with it, are free again only once the process is gone.
    this.running.add(worker);
    worker.once('subprocessclose', () => {
      this.running.delete(worker);
      this.slots.release(slot);
    });

    let webRtcServer: ms.WebRtcServer | undefined;
    let rtcListen: RtcListenAddress[] = [];
    if (net.mode === 'server') {
      const where = describeListen(net, slot);
      try {
        webRtcServer = await worker.createWebRtcServer({ listenInfos: webRtcServerListenInfos(net, slot), appData: { slot } });
        const dump = await webRtcServer.dump();
        rtcListen = [
          ...dump.udpSockets.map((s) => ({ protocol: 'udp' as const, ...s })),
          ...dump.tcpServers.map((s) => ({ protocol: 'tcp' as const, ...s })),
        ];
      } catch (err) {
        worker.close();
        const reason = (err as Error).message;
        this.logger.error({ slot, workerPid: worker.pid, listen: where, err: reason }, 'media worker cannot listen (port taken?); not started');
        throw new WorkerSpawnError(`media worker (slot ${slot}) cannot listen on ${where}: ${reason}`, slot, where);
      }
    }

    const pooled: PooledWorker = {
      worker,
      pid: worker.pid,
      slot,
      webRtcServer,
      rtcListen,
      load: { routers: 0, transports: 0, producers: 0, consumers: 0 },
      state: 'active',
    };
    this.workers.set(worker.pid, pooled);
    worker.on('died', (error) => this.onDied(pooled, error));
    worker.observer.once('close', () => this.forget(pooled));
    if (this.closed) {
      // close() ran while this worker was starting.
      worker.close();
      throw new WorkerSpawnError('the media worker pool is closed', slot);
    }
    this.emit('workeradded', pooled);
    return pooled;
  }

  /** Drops a worker from the pool (if it is still the one under its pid); returns it. */
  private forget(pooled: PooledWorker): PooledWorker {
    if (this.workers.get(pooled.pid) === pooled) this.workers.delete(pooled.pid);
    return pooled;
  }

  private onDied(pooled: PooledWorker, error: Error): void {
    this.forget(pooled);
    this.logger.error({ workerPid: pooled.pid, slot: pooled.slot, err: error.message }, 'media worker died; respawning');
    this.emit('workerdied', pooled, error);
    this.scheduleRespawn(pooled, this.opts.respawnDelayMs);
  }

  /** Replaces a dead worker after `delayMs`; a failed attempt (e.g. its port is taken) is retried with a growing pause. */
  private scheduleRespawn(dead: PooledWorker, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      this.spawn().then(
        (w) => this.logger.log({ workerPid: w.pid, slot: w.slot, replaced: dead.pid }, 'media worker respawned'),
        (err: Error) => {
          if (this.closed) return;
          const next = Math.min(MAX_RESPAWN_BACKOFF_MS, Math.max(1000, delayMs * 2));
          this.logger.error({ replaced: dead.pid, err: err.message, retryInMs: next }, 'media worker respawn failed; retrying');
          this.scheduleRespawn(dead, next);
        },
      );
    }, delayMs);
    this.respawnTimers.add(timer);
  }

  get(pid: number): PooledWorker | undefined {
    return this.workers.get(pid);
  }

  /** Stops placing calls on a worker; it is retired as soon as it hosts no router. */
  drain(pid: number): PooledWorker | undefined {
    const w = this.workers.get(pid);
    if (!w) return undefined;
    if (w.state === 'draining') return w;
    w.state = 'draining';
    this.logger.warn({ workerPid: pid, routers: w.load.routers }, 'media worker draining');
    const check = setInterval(() => {
      if (w.worker.closed) return clearInterval(check);
      if (w.load.routers > 0) return;
      clearInterval(check);
      this.forget(w);
      w.worker.close();
      this.logger.warn({ workerPid: pid }, 'media worker retired');
      this.emit('workerretired', w);
    }, 250);
    check.unref();
    this.respawnTimers.add(check);
    return w;
  }

  /** Closes every worker (idempotent); resolves once their processes have exited and freed their ports. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const t of this.respawnTimers) clearTimeout(t);
      this.respawnTimers.clear();
      for (const w of this.workers.values()) w.worker.close();
      this.workers.clear();
    }
    return this.exited();
  }

  /** Resolves when every worker process this pool started has exited (or after EXIT_WAIT_MS). */
  private exited(): Promise<void> {
    const pending = [...this.running].map((w) => new Promise<void>((resolve) => (w.subprocessClosed ? resolve() : w.once('subprocessclose', () => resolve()))));
    if (!pending.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, EXIT_WAIT_MS);
      timer.unref();
      void Promise.all(pending).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const score = (l: WorkerLoad) => (l.consumers + l.producers) * 1000 + l.transports * 10 + l.routers;
