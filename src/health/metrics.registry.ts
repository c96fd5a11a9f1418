import { Global, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALL_METRICS, type CallMetrics } from '../calls/ports';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One Prometheus registry per application (tests run several in one process). */
@Injectable()
export class MetricsRegistry implements CallMetrics {
  readonly registry = new Registry();
  readonly ring = new Histogram({ name: 'hearth_call_ring_latency_seconds', help: 'call:initiate received to call:incoming sent', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly join = new Histogram({ name: 'hearth_call_join_latency_seconds', help: 'call:join received to join ack ready', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly ends = new Counter({ name: 'hearth_call_ends_total', help: 'Calls ended, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly reconcile = new Counter({ name: 'hearth_reconciler_actions_total', help: 'Orphans closed by the reconciler, by action', labelNames: ['action'], registers: [this.registry] });
  readonly workers = new Gauge({ name: 'hearth_media_workers', help: 'Media worker processes, by state', labelNames: ['state'], registers: [this.registry] });
  readonly mediaObjects = new Gauge({ name: 'hearth_media_objects', help: 'Live mediasoup objects, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly workerCpu = new Gauge({ name: 'hearth_media_worker_cpu_seconds', help: 'CPU time used by each media worker', labelNames: ['pid'], registers: [this.registry] });
  readonly calls = new Gauge({ name: 'hearth_calls', help: 'Live calls, by status', labelNames: ['status'], registers: [this.registry] });
  readonly participants = new Gauge({ name: 'hearth_call_participants', help: 'Participants of live calls, by state', labelNames: ['state'], registers: [this.registry] });
  readonly sockets = new Gauge({ name: 'hearth_socket_connections', help: 'Connected sockets on this gateway', registers: [this.registry] });
  readonly rateLimited = new Gauge({ name: 'hearth_rate_limited_requests', help: 'Requests refused by each abuse limit since this gateway started', labelNames: ['limit'], registers: [this.registry] });
  readonly busyLocks = new Gauge({ name: 'hearth_busy_locks', help: 'Users held busy by the calls this gateway hosts', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hearth_process_' });
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
}

@Global()
@Module({
  providers: [MetricsRegistry, { provide: CALL_METRICS, useExisting: MetricsRegistry }],
  exports: [MetricsRegistry, CALL_METRICS],
})
export class MetricsModule {}
