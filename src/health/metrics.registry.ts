import { Global, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALL_METRICS, type CallMetrics } from '../calls/ports';
import { ERROR_CODES } from '../common/error-codes';
import { ACK_METRICS, type AckMetrics } from '../common/ws-ack.interceptor';
import { WORKER_POOL_METRICS, type WorkerPoolMetrics } from '../media/worker-pool';
import { C2S } from '../signaling/catalogue';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
// Label values come from closed lists only, so a client cannot mint series.
const ACK_EVENTS: ReadonlySet<string> = new Set(Object.values(C2S));
const ACK_CODES: ReadonlySet<string> = new Set(['ok', ...ERROR_CODES]);

/** One Prometheus registry per application (tests run several in one process). */
@Injectable()
export class MetricsRegistry implements CallMetrics, AckMetrics, WorkerPoolMetrics {
  readonly registry = new Registry();
  readonly ring = new Histogram({ name: 'hearth_call_ring_latency_seconds', help: 'call:initiate received to call:incoming sent', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly join = new Histogram({ name: 'hearth_call_join_latency_seconds', help: 'call:join received to join ack ready', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly ends = new Counter({ name: 'hearth_call_ends_total', help: 'Calls ended, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly reconcile = new Counter({ name: 'hearth_reconciler_actions_total', help: 'Orphans closed by the reconciler, by action', labelNames: ['action'], registers: [this.registry] });
  readonly workers = new Gauge({ name: 'hearth_media_workers', help: 'Media worker processes, by state', labelNames: ['state'], registers: [this.registry] });
  readonly mediaObjects = new Gauge({ name: 'hearth_media_objects', help: 'Live mediasoup objects, by kind', labelNames: ['kind'], registers: [this.registry] });
  // A counter fed by deltas (worker-cpu.ts): prom-client counters only go up, which is what a slot's CPU time does across replacements.
  readonly workerCpu = new Counter({ name: 'hearth_media_worker_cpu_seconds_total', help: 'CPU time used by the media workers of each slot (a replacement continues its slot)', labelNames: ['slot'], registers: [this.registry] });
  readonly workerDeaths = new Counter({ name: 'hearth_worker_deaths_total', help: 'Media workers that died unexpectedly, by slot', labelNames: ['slot'], registers: [this.registry] });
  readonly respawnDelay = new Gauge({ name: 'hearth_worker_respawn_delay_seconds', help: 'Pause before the latest replacement of each slot’s worker (doubles while it keeps crashing)', labelNames: ['slot'], registers: [this.registry] });
  readonly acks = new Counter({ name: 'hearth_acks_total', help: 'Socket request acks, by event and code (ok for success)', labelNames: ['event', 'code'], registers: [this.registry] });
  readonly calls = new Gauge({ name: 'hearth_calls', help: 'Live calls, by status', labelNames: ['status'], registers: [this.registry] });
  readonly participants = new Gauge({ name: 'hearth_call_participants', help: 'Participants of live calls, by state', labelNames: ['state'], registers: [this.registry] });
  readonly sockets = new Gauge({ name: 'hearth_socket_connections', help: 'Connected sockets on this gateway', registers: [this.registry] });
  readonly rateLimited = new Gauge({ name: 'hearth_rate_limited_requests', help: 'Requests refused by each abuse limit since this gateway started', labelNames: ['limit'], registers: [this.registry] });
  readonly ready = new Gauge({ name: 'hearth_ready', help: '1 when this gateway is ready for calls (as /health/ready), else 0', registers: [this.registry] });
  readonly readyChecks = new Gauge({ name: 'hearth_ready_check', help: 'Each readiness check of /health/ready: 1 up, 0 down', labelNames: ['check'], registers: [this.registry] });
  readonly writeQueueDepth = new Gauge({ name: 'hearth_write_queue_depth', help: 'Records owed to PostgreSQL and not yet committed (calls for call_log; writes otherwise)', labelNames: ['queue'], registers: [this.registry] });
  readonly writeQueueAge = new Gauge({ name: 'hearth_write_queue_oldest_seconds', help: 'Age of the oldest record still owed to PostgreSQL', labelNames: ['queue'], registers: [this.registry] });
  readonly busyLocks = new Gauge({ name: 'hearth_busy_locks', help: 'Users held busy by the calls this gateway hosts', registers: [this.registry] });

  constructor() {
    // The prefix goes in front of prom-client's own process_* and nodejs_* names: hearth_process_cpu_seconds_total, hearth_nodejs_eventloop_lag_seconds.
    collectDefaultMetrics({ register: this.registry, prefix: 'hearth_' });
  }

  ringLatency(seconds: number): void {
    this.ring.observe(seconds);
  }

  joinLatency(seconds: number): void {
    this.join.observe(seconds);
  }

  callEnded(reason: string): void {
    this.ends.inc({ reason });
  }

  reconciled(action: string, count: number): void {
    if (count > 0) this.reconcile.inc({ action }, count);
  }

  acked(event: string, code: string): void {
    this.acks.inc({ event: ACK_EVENTS.has(event) ? event : 'unknown', code: ACK_CODES.has(code) ? code : 'INTERNAL' });
  }

  workerDied(slot: number): void {
    this.workerDeaths.inc({ slot: String(slot) });
  }

  respawnScheduled(slot: number, delayMs: number): void {
    this.respawnDelay.set({ slot: String(slot) }, delayMs / 1000);
  }
}

@Global()
@Module({
  providers: [
    MetricsRegistry,
    { provide: CALL_METRICS, useExisting: MetricsRegistry },
    { provide: ACK_METRICS, useExisting: MetricsRegistry },
    { provide: WORKER_POOL_METRICS, useExisting: MetricsRegistry },
  ],
  exports: [MetricsRegistry, CALL_METRICS, ACK_METRICS, WORKER_POOL_METRICS],
})
export class MetricsModule {}
