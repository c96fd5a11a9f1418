import { Inject, Injectable } from '@nestjs/common';
import { OperatorAudit } from '../audit/operator-audit';
import { CallLogWriter } from '../calls/call-log-writer';
import { CallRegistry } from '../calls/call-registry';
import { SessionWrites } from '../calls/session-writes';
import { QualityService } from '../quality/quality.service';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import { SocketChannel } from '../signaling/socket-channel';
import { LIMITS, RateLimits, type LimitName } from '../limits/rate-limits';
import { MetricsRegistry } from './metrics.registry';
import { Readiness } from './readiness';
import { SlotCpuTotals } from './worker-cpu';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus text format. Gauges are read at scrape time from the live objects of this gateway. */
@Injectable()
export class MetricsScraper {
  private readonly cpu = new SlotCpuTotals();

  constructor(
    private readonly metrics: MetricsRegistry,
    @Inject(MEDIA_OPERATIONS) private readonly media: MediaOperations,
    private readonly registry: CallRegistry,
    @Inject(SocketChannel) private readonly channel: SocketChannel,
    private readonly limits: RateLimits,
    private readonly readiness: Readiness,
    private readonly writer: CallLogWriter,
    private readonly sessionWrites: SessionWrites,
    private readonly audit: OperatorAudit,
    private readonly quality: QualityService,
  ) {}

  async scrape(): Promise<string> {
    const m = this.metrics;
    const calls = this.writer.depth();
    for (const [queue, depth, age] of [
      ['call_log', calls.calls, calls.oldestAgeSeconds],
      ['session_state', this.sessionWrites.depth.writes, this.sessionWrites.depth.oldestAgeSeconds],
      ['operator_audit', this.audit.depth.writes, this.audit.depth.oldestAgeSeconds],
    ] as const) {
      m.writeQueueDepth.set({ queue }, depth);
      m.writeQueueAge.set({ queue }, age);
    }
    m.writeQueueDepth.set({ queue: 'quality_samples' }, this.quality.buffered);
    const [stats, checks] = await Promise.all([this.media.workerStats(), this.readiness.all()]);
    m.readyChecks.reset();
    for (const [check, up] of Object.entries(checks)) if (up !== undefined) m.readyChecks.set({ check }, up ? 1 : 0);
    m.ready.set(Object.values(checks).every((up) => up !== false) ? 1 : 0);
    m.workers.reset();
    for (const s of ['active', 'draining']) m.workers.set({ state: s }, 0);
    const totals = { routers: 0, transports: 0, producers: 0, consumers: 0 };
    for (const w of stats) {
      const slot = String(w.slot);
      m.workers.inc({ state: w.state });
      m.workerCpu.inc({ slot }, this.cpu.observe(w.slot, w.pid, w.cpuTimeMs) / 1000);
      // Zero from the first scrape, so the first death shows in increase().
      m.workerDeaths.inc({ slot }, 0);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += w[k];
    }
    for (const [kind, n] of Object.entries(totals)) m.mediaObjects.set({ kind }, n);
    m.calls.reset();
    m.participants.reset();
    for (const s of ['initiated', 'ringing', 'active']) m.calls.set({ status: s }, 0);
    for (const call of this.registry.liveCalls()) {
      m.calls.inc({ status: call.status });
      for (const p of call.participants.values()) m.participants.inc({ state: p.state });
    }
    m.sockets.set(this.channel.localConnections());
    // Counted from this gateway's own calls: a scrape never walks the Redis keyspace.
    m.busyLocks.set(this.registry.busyUserIds().length);
    for (const name of Object.keys(LIMITS) as LimitName[]) m.rateLimited.set({ limit: name }, this.limits.refused.get(name) ?? 0);
    return m.registry.metrics();
  }
}
