import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Readiness } from './readiness';
import { ClusterNode } from '../cluster/cluster-node';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly cluster: ClusterNode,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
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
    const r = this.readiness;
    return this.health.check([
      async () => {
        const i = this.indicators.check('database');
        return (await r.database()) ? i.up() : i.down();
      },
      async () => {
        const i = this.indicators.check('mediaWorkers');
        const live = r.liveWorkers();
        return live > 0 ? i.up({ live }) : i.down({ live });
      },
      ...(r.names.includes('redis')
        ? [
            async () => {
              const i = this.indicators.check('redis');
              return (await r.redis()) ? i.up() : i.down();
            },
          ]
        : []),
      // A draining node takes no new calls: the load balancer sends new connections elsewhere (liveness stays up).
      async () => {
        const i = this.indicators.check('node');
        return this.cluster.isDraining ? i.down({ state: 'draining' }) : i.up({ state: 'serving' });
      },
    ]);
  }
}
