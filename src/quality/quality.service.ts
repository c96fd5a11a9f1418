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
import { isOutage } from '../common/outage';

/** Quality samples kept while PostgreSQL is away (about an hour of a 50-person session at 10 s sampling). */
const MAX_BUFFERED_SAMPLES = 50_000;

/** At most one stats:report per user in this window. */
const REPORT_INTERVAL_MS = 1000;
const INT_MAX = 2_147_483_647;
/** The largest value a PostgreSQL `real` holds. */
const REAL_MAX = 3.4e38;
// A value no column can hold is no measurement either (RTCP counts loss in 24 bits): unknown, not made up.
const int = (v: number | null) => (v === null || !Number.isFinite(v) || Math.abs(v) > INT_MAX ? null : Math.round(v));
const real = (v: number | null) => (v === null || !Number.isFinite(v) || Math.abs(v) > REAL_MAX ? null : v);

/** A row every column of call_quality_samples takes: what an int32 or a float4 cannot hold is stored as null. */
export function storable(r: QualitySampleRow): QualitySampleRow {
  return {
    ...r,
    packetsLost: int(r.packetsLost),
    freezes: int(r.freezes),
    fractionLost: real(r.fractionLost),
    jitterMs: real(r.jitterMs),
    rttMs: real(r.rttMs),
    bitrateKbps: real(r.bitrateKbps),
    score: real(r.score),
    scoreMin: real(r.scoreMin),
  };
}

/** The rows grouped by call, in first-seen order. */
function byCall(rows: QualitySampleRow[]): QualitySampleRow[][] {
  const groups = new Map<string, QualitySampleRow[]>();
  for (const r of rows) {
    const g = groups.get(r.callId);
    if (g) g.push(r);
    else groups.set(r.callId, [r]);
  }
  return [...groups.values()];
}

/**
 * Samples every active call's media from the workers (getStats + score events) and takes the
 * clients' stats:report, buffering both and writing them in one batch per period. One call's
 * rows that the database refuses never cost the other calls theirs (flush()).
 * State lives in this process: the buffer, and the time of each user's latest report (each
 * sampling pass forgets those older than REPORT_INTERVAL_MS, so it holds only the users who
 * reported since the last pass).
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
    this.forgetOldReports(at.getTime());
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
    if (now - (this.lastReport.get(actor.userId) ?? 0) < REPORT_INTERVAL_MS) throw new DomainError('RATE_LIMITED', 'stats:report at most once per second');
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

  /** A report older than the window no longer limits anyone: forget it. */
  private forgetOldReports(now: number): void {
    for (const [userId, at] of this.lastReport) if (now - at >= REPORT_INTERVAL_MS) this.lastReport.delete(userId);
  }

  async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const rows = this.buffer.map(storable);
    this.buffer = [];
    await this.writer.flush(); // the call rows the samples point at are written first
    const refused = await this.append(rows);
    if (refused && isOutage(refused)) {
      // The database is away: the samples wait for it (oldest first), bounded.
      this.buffer = [...rows, ...this.buffer];
      if (this.buffer.length > MAX_BUFFERED_SAMPLES) {
        this.logger.warn({ dropped: this.buffer.length - MAX_BUFFERED_SAMPLES }, 'quality samples dropped: the database has been away too long');
        this.buffer = this.buffer.slice(-MAX_BUFFERED_SAMPLES);
      }
      throw refused;
    }
    if (refused) await this.isolate(byCall(rows), refused);
  }

  /** Samples waiting for the database (for /metrics: queue depth). */
  get buffered(): number {
    return this.buffer.length;
  }

  private append(rows: QualitySampleRow[]): Promise<Error | undefined> {
    return this.store.append(rows).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
  }

  /**
   * The database refused a batch of these calls' rows: halve it until the calls it refuses
   * (e.g. one whose call row is not on record) are found and dropped, writing the others.
   * Both halves refused is taken for the database itself failing: thrown, not retried further.
   */
  private async isolate(groups: QualitySampleRow[][], err: Error): Promise<void> {
    if (groups.length === 1) {
      this.logger.warn({ callId: groups[0][0].callId, rows: groups[0].length, err: err.message }, 'quality samples of a call refused; dropped');
      return;
    }
    const mid = groups.length >> 1;
    const halves = [groups.slice(0, mid), groups.slice(mid)];
    const errors = [await this.append(halves[0].flat()), await this.append(halves[1].flat())];
    if (errors[0] && errors[1]) throw errors[0];
    for (let i = 0; i < 2; i++) if (errors[i]) await this.isolate(halves[i], errors[i]!);
  }

  /** Per-participant summary of a call; for its participants and admins. */
  async summary(who: Identity, callId: string): Promise<{ callId: string; participants: ParticipantQuality[] }> {
    await this.history.one(who, callId);
    await this.flush();
    return { callId, participants: await this.store.summary(callId) };
  }
}
