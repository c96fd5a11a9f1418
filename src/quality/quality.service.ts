import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { CallHistoryService } from '../calls/call-history.service';
import { CallLogWriter } from '../calls/call-log-writer';
import { CallMediaService } from '../calls/call-media.service';
import { CallRegistry } from '../calls/call-registry';
import type { ClientStatsReport } from '../calls/call-messages';
import type { Actor, Identity } from '../calls/ports';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import { QUALITY_STORE, type ParticipantQuality, type QualitySampleRow, type QualityStore } from './ports';


/**
 * Samples every active call's media from the workers (getStats + score events) and takes the
 * clients' stats:report, buffering both and writing them in one batch per period.
 */
@Injectable()
export class QualityService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Quality');
  private buffer: QualitySampleRow[] = [];
  private readonly lastReport = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private sampling?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: CallRegistry,
    private readonly seats: CallMediaService,
    private readonly writer: CallLogWriter,
    private readonly history: CallHistoryService,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Inject(QUALITY_STORE) private readonly store: QualityStore,
  ) {}

  onModuleInit(): void {
    // Old samples go with the daily retention purge (retention/), by QUALITY_RETENTION_DAYS.
    const sample = setInterval(() => void this.tick(), this.config.QUALITY_SAMPLE_SECONDS * 1000);
    sample.unref();
    this.timers = [sample];
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush().catch(() => undefined);
  }

  /** One sampling pass over every active call, then one batched write. Concurrent callers share it. */
  tick(): Promise<void> {
    this.sampling ??= this.sampleAll().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async sampleAll(): Promise<void> {
    const at = new Date();
    for (const call of this.registry.liveCalls()) {
      if (call.status !== 'active') continue;
      for (const s of await this.media.qualitySamples(call.id)) {
        this.buffer.push({
          callId: call.id,
          userId: s.userId,
          at,
          origin: 'server',
          kind: s.kind,
          direction: s.direction,
          packetsLost: s.packetsLost,
          fractionLost: s.fractionLost,
          jitterMs: s.jitterMs,
          rttMs: s.rttMs,
          bitrateKbps: s.bitrateKbps,
          score: s.score,
          scoreMin: s.scoreMin,
          freezes: null,
        });
      }
    }
    await this.flush().catch((err: Error) => this.logger.error({ err: err.message }, 'quality samples write failed'));
  }

  /** A client's getStats summary for a call it is seated in; at most one report per second per user. */
  clientReport(actor: Actor, report: ClientStatsReport): void {
    this.seats.assertSeated(actor, report.callId);
    const now = Date.now();
    if (now - (this.lastReport.get(actor.userId) ?? 0) < 1000) throw new DomainError('RATE_LIMITED', 'stats:report at most once per second');
    this.lastReport.set(actor.userId, now);
    const at = new Date(now);
    for (const s of report.samples) {
      this.buffer.push({
        callId: report.callId,
        userId: actor.userId,
        at,
        origin: 'client',
        kind: s.kind ?? null,
        direction: s.direction === 'inbound' ? 'recv' : s.direction === 'outbound' ? 'send' : null,
        packetsLost: s.packetsLost ?? null,
        fractionLost: s.fractionLost ?? null,
        jitterMs: s.jitter === undefined ? null : s.jitter * 1000,
        rttMs: s.roundTripTime === undefined ? null : s.roundTripTime * 1000,
        bitrateKbps: s.bitrateKbps ?? null,
        score: null,
        scoreMin: null,
        freezes: s.freezeCount ?? null,
      });
    }
  }

  async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const rows = this.buffer;
    this.buffer = [];
    await this.writer.flush(); // the call rows the samples point at are written first
    await this.store.append(rows);
  }

  /** Per-participant summary of a call; for its participants and admins. */
  async summary(who: Identity, callId: string): Promise<{ callId: string; participants: ParticipantQuality[] }> {
    await this.history.one(who, callId);
    await this.flush();
    return { callId, participants: await this.store.summary(callId) };
  }
}
