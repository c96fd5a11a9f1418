import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { Logger } from '@nestjs/common';

export interface WorkerPoolOptions {
  numWorkers: number;
  logLevel: ms.WorkerLogLevel;
  rtcMinPort: number;
  rtcMaxPort: number;
  respawnDelayMs: number;
  workerBin?: string;
}

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
  readonly load: WorkerLoad;
  /** `draining`: takes no new calls; retired (closed, not replaced) once it hosts none. */
  state: 'active' | 'draining';
}

type PoolEvents = { workerdied: [PooledWorker, Error]; workeradded: [PooledWorker]; workerretired: [PooledWorker] };

/**
 * A pool of mediasoup workers. A worker that dies is logged, forgotten and replaced; the
 * process never exits because of it. New routers go to the least-loaded live worker.
 */
export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly logger = new Logger('WorkerPool');
  private readonly workers = new Map<number, PooledWorker>();
  private closed = false;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: WorkerPoolOptions) {
    super();
  }

  async start(): Promise<void> {
    const spawned = await Promise.all(Array.from({ length: this.opts.numWorkers }, () => this.spawn()));
    this.logger.log({ workerPids: spawned.map((w) => w.pid) }, 'media workers started');
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

  async spawn(): Promise<PooledWorker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.opts.logLevel,
      rtcMinPort: this.opts.rtcMinPort,
      rtcMaxPort: this.opts.rtcMaxPort,
      ...(this.opts.workerBin ? { workerBin: this.opts.workerBin } : {}),
    });
    const pooled: PooledWorker = { worker, pid: worker.pid, load: { routers: 0, transports: 0, producers: 0, consumers: 0 }, state: 'active' };
    this.workers.set(worker.pid, pooled);
    worker.on('died', (error) => this.onDied(pooled, error));
    worker.observer.once('close', () => this.workers.delete(pooled.pid));
    this.emit('workeradded', pooled);
    return pooled;
  }

  private onDied(pooled: PooledWorker, error: Error): void {
    this.workers.delete(pooled.pid);
    this.logger.error({ workerPid: pooled.pid, err: error.message }, 'media worker died; respawning');
    this.emit('workerdied', pooled, error);
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      this.spawn().then(
        (w) => this.logger.log({ workerPid: w.pid, replaced: pooled.pid }, 'media worker respawned'),
        (err: Error) => this.logger.error({ err: err.message }, 'media worker respawn failed'),
      );
    }, this.opts.respawnDelayMs);
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
      this.workers.delete(pid);
      w.worker.close();
      this.logger.warn({ workerPid: pid }, 'media worker retired');
      this.emit('workerretired', w);
    }, 250);
    check.unref();
    this.respawnTimers.add(check);
    return w;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.respawnTimers) clearTimeout(t);

    this.respawnTimers.clear();
    for (const w of this.workers.values()) w.worker.close();
    this.workers.clear();
  }
}

const score = (l: WorkerLoad) => (l.consumers + l.producers) * 1000 + l.transports * 10 + l.routers;
