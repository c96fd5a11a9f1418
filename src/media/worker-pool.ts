import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { Logger } from '@nestjs/common';
import { describeListen, webRtcServerListenInfos, type RtcListenAddress, type RtcNetwork } from './rtc-network';
import { RespawnBackoff, WorkerSlots } from './worker-slots';

export interface WorkerPoolOptions {
  numWorkers: number;
  logLevel: ms.WorkerLogLevel;
  /** Bind IP, ports and mode; the workers' own port range is `network.portRange`. */
  network: RtcNetwork;
  /** The first pause before a dead worker is replaced; it doubles with each failure in a row in that slot (worker-slots.ts). */
  respawnDelayMs: number;
  workerBin?: string;
}

/** What the pool reports to metrics (implemented by health/; optional). */
export interface WorkerPoolMetrics {
  workerDied(slot: number): void;
  respawnScheduled(slot: number, delayMs: number): void;
}
export const WORKER_POOL_METRICS = Symbol('WORKER_POOL_METRICS');

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

type PoolEvents = {
  workerdied: [PooledWorker, Error];
  workeradded: [PooledWorker];
  workerretired: [PooledWorker];
  /** A replacement for the worker in `slot` starts in `delayMs` (after a death or a failed attempt). */
  respawnscheduled: [slot: number, delayMs: number];
};

/**
 * A pool of mediasoup workers. A worker that dies is logged, forgotten and replaced; the
 * process never exits because of it. New routers go to the least-loaded live worker.
 * Each worker holds a slot (the lowest free one) until its process has exited; a dead worker's
 * slot stays held for its replacement, so in server mode the replacement listens on the ports
 * of the worker it replaces. Replacements back off per slot: a worker that keeps crashing is
 * restarted ever more slowly (up to 30 s), one that stayed up a minute starts over.
 */
export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly logger = new Logger('WorkerPool');
  private readonly workers = new Map<number, PooledWorker>();
  private readonly slots = new WorkerSlots();
  /** Every worker process started and not yet exited, including retired and failed ones. */
  private readonly running = new Set<ms.Worker>();
  private closed = false;
  /** Slots whose worker died, held for the replacement until it is up (or the pool closes). */
  private readonly respawning = new Set<number>();
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private readonly drainChecks = new Set<NodeJS.Timeout>();
  private readonly backoff: RespawnBackoff;

  constructor(private readonly opts: WorkerPoolOptions) {
    super();
    this.backoff = new RespawnBackoff(opts.respawnDelayMs);
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
  spawn(): Promise<PooledWorker> {
    return this.startWorker();
  }

  /** Starts a worker in the lowest free slot, or in `heldSlot` (a dead worker's, held for its replacement and kept held on failure). */
  private async startWorker(heldSlot?: number): Promise<PooledWorker> {
    if (this.closed) throw new WorkerSpawnError('the media worker pool is closed', -1);
    const net = this.opts.network;
    const slot = heldSlot ?? this.slots.acquire();
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
      if (!this.respawning.has(slot)) this.slots.release(slot);
      this.logger.error({ slot, err: (err as Error).message }, 'media worker failed to start');
      throw new WorkerSpawnError(`media worker (slot ${slot}) failed to start: ${(err as Error).message}`, slot);
    }
    // The slot, and the ports that go with it, are free again only once the process is gone,
    // and not even then while a replacement is pending for it.
    this.running.add(worker);
    worker.once('subprocessclose', () => {
      this.running.delete(worker);
      if (!this.respawning.has(slot)) this.slots.release(slot);
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
    // The replacement owns the slot now: when it goes, the slot goes with it (unless it dies and is replaced in turn).
    this.respawning.delete(slot);
    this.backoff.started(slot, Date.now());
    this.emit('workeradded', pooled);
    return pooled;
  }

  /** Drops a worker from the pool (if it is still the one under its pid); returns it. */
  private forget(pooled: PooledWorker): PooledWorker {
    if (this.workers.get(pooled.pid) === pooled) this.workers.delete(pooled.pid);
    return pooled;
  }

  // Runs inside mediasoup's 'died' emit, before its 'subprocessclose': the slot is held before it could be released.
  private onDied(pooled: PooledWorker, error: Error): void {
    this.forget(pooled);
    const delayMs = this.backoff.failed(pooled.slot, Date.now());
    this.logger.error({ workerPid: pooled.pid, slot: pooled.slot, err: error.message, respawnInMs: delayMs }, 'media worker died; respawning');
    this.emit('workerdied', pooled, error);
    this.scheduleRespawn(pooled.slot, pooled.pid, delayMs);
  }

  /** Replaces a dead worker in its slot after `delayMs`; a failed attempt (e.g. its port is taken) is retried with the slot's next, longer pause. */
  private scheduleRespawn(slot: number, replaced: number, delayMs: number): void {
    if (this.closed) return;
    this.respawning.add(slot);
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      this.startWorker(slot).then(
        (w) => this.logger.log({ workerPid: w.pid, slot, replaced }, 'media worker respawned'),
        (err: Error) => {
          if (this.closed) return;
          const next = this.backoff.failed(slot, Date.now());
          this.logger.error({ slot, replaced, err: err.message, retryInMs: next }, 'media worker respawn failed; retrying');
          this.scheduleRespawn(slot, replaced, next);
        },
      );
    }, delayMs);
    timer.unref();
    this.respawnTimers.add(timer);
    this.emit('respawnscheduled', slot, delayMs);
  }

  /** Slots whose worker died and whose replacement is not up yet. */
  pendingRespawns(): number[] {
    return [...this.respawning].sort((a, b) => a - b);
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
    const stop = () => {
      clearInterval(check);
      this.drainChecks.delete(check);
    };
    const check = setInterval(() => {
      if (w.worker.closed) return stop();
      if (w.load.routers > 0) return;
      stop();
      this.forget(w);
      this.backoff.forget(w.slot);
      w.worker.close();
      this.logger.warn({ workerPid: pid }, 'media worker retired');
      this.emit('workerretired', w);
    }, 250);
    check.unref();
    this.drainChecks.add(check);
    return w;
  }

  /** Closes every worker (idempotent); resolves once their processes have exited and freed their ports. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const t of this.respawnTimers) clearTimeout(t);
      this.respawnTimers.clear();
      for (const t of this.drainChecks) clearInterval(t);
      this.drainChecks.clear();
      for (const slot of this.respawning) this.slots.release(slot);
      this.respawning.clear();
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
