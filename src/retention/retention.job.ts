import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { retentionCutoffs } from './retention-policy';
import { PURGE_KINDS, RETENTION_METRICS, RETENTION_STORE, type PurgeCounts, type RetentionMetrics, type RetentionStore } from './retention.port';

/** The first purge waits this long after boot, so it never competes with start-up or the reconciler's first pass. */
export const FIRST_PURGE_DELAY_MS = 60_000;
export const PURGE_PERIOD_MS = 24 * 3600_000;

/**
 * The daily purge: call logs, session guests, quality samples and operator audit entries older
 * than their retention settings (see retention-policy.ts). Its timers never keep the process
 * alive, and shutdown waits for a purge under way before the database closes.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<PurgeCounts>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RETENTION_STORE) private readonly store: RetentionStore,
    @Optional() @Inject(RETENTION_METRICS) private readonly metrics?: RetentionMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => void this.run().catch((err: Error) => this.logger.error({ err: err.message }, 'retention purge failed'));
    this.timers = [setTimeout(tick, FIRST_PURGE_DELAY_MS), setInterval(tick, PURGE_PERIOD_MS)];
    for (const t of this.timers) t.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.running?.catch(() => undefined);
  }

  /** One purge now, by the settings; a purge already under way is shared, not doubled. */
  run(): Promise<PurgeCounts> {
    this.running ??= this.purgeOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async purgeOnce(): Promise<PurgeCounts> {
    const counts = await this.store.purge(retentionCutoffs(this.config, new Date()), { dryRun: false });
    for (const kind of PURGE_KINDS) if (counts[kind] > 0) this.metrics?.purged(kind, counts[kind]);
    if (PURGE_KINDS.some((k) => counts[k] > 0)) this.logger.log({ purged: counts }, 'rows past their retention purged');
    return counts;
  }
}
