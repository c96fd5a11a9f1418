import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import { DatabaseHealth } from '../persistence/database-health';
import { PresenceService } from '../presence/presence.service';

export type ReadinessCheck = 'database' | 'redis' | 'mediaWorkers';

/** What makes this gateway ready for calls; read by /health/ready and by /metrics (hearth_ready). */
@Injectable()
export class Readiness {
  constructor(
    @Inject(MEDIA_OPERATIONS) private readonly media: MediaOperations,
    private readonly db: DatabaseHealth,
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The checks that apply here: Redis only when it is configured. */
  get names(): ReadinessCheck[] {
    return this.config.REDIS_URL ? ['database', 'mediaWorkers', 'redis'] : ['database', 'mediaWorkers'];
  }

  database(): Promise<boolean> {
    return this.db.ping();
  }

  redis(): Promise<boolean> {
    return this.presence.store.busyHolder('__health__').then(
      () => true,
      () => false,
    );
  }

  liveWorkers(): number {
    return this.media.liveWorkerCount();
  }

  /** Every check at once: up or not. */
  async all(): Promise<Record<ReadinessCheck, boolean | undefined>> {
    const [database, redis] = await Promise.all([this.database(), this.config.REDIS_URL ? this.redis() : undefined]);
    return { database, mediaWorkers: this.liveWorkers() > 0, redis };
  }
}
