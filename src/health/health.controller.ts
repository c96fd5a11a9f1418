import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import { DatabaseHealth } from '../persistence/database-health';
import { PresenceService } from '../presence/presence.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(MEDIA_OPERATIONS) private readonly media: MediaOperations,
    private readonly db: DatabaseHealth,
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (no dependencies checked)' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Ready for calls: PostgreSQL answers, Redis answers (when configured), at least one live media worker' })
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const i = this.indicators.check('database');
        return (await this.db.ping()) ? i.up() : i.down();
      },
      async () => {
        const i = this.indicators.check('mediaWorkers');
        const live = this.media.liveWorkerCount();
        return live > 0 ? i.up({ live }) : i.down({ live });
      },
      ...(this.config.REDIS_URL
        ? [
            async () => {
              const i = this.indicators.check('redis');
              const ok = await this.presence.store.busyHolder('__health__').then(
                () => true,
                () => false,
              );
              return ok ? i.up() : i.down();
            },
          ]
        : []),
    ]);
  }
}
