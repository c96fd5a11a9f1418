import { Controller, Get, Header, Headers, Inject, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { metricsAccess } from './metrics-access';
import { METRICS_CONTENT_TYPE, MetricsScraper } from './metrics.scraper';

/**
 * /metrics on the main port: with METRICS_TOKEN only for `Authorization: Bearer <token>`; with
 * METRICS_PORT never here (it has its own listener); with neither, open in development and not
 * served in production.
 */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scraper: MetricsScraper,
  ) {}

  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const access = metricsAccess(this.config, 'main', authorization);
    if (access === 'not-served') throw new NotFoundException();
    if (access === 'unauthorized') throw new UnauthorizedException('METRICS_TOKEN required');
    return this.scraper.scrape();
  }
}
