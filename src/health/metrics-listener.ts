import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { metricsAccess } from './metrics-access';
import { METRICS_CONTENT_TYPE, MetricsScraper } from './metrics.scraper';

/** METRICS_PORT > 0: /metrics on its own listener (METRICS_HOST), for a scraper on a private network. */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scraper: MetricsScraper,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.METRICS_PORT === 0) return;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') return void res.writeHead(404).end();
      const access = metricsAccess(this.config, 'metrics', req.headers.authorization);
      if (access !== 'ok') return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      this.scraper.scrape().then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
        (err: Error) => {
          this.logger.error({ err: err.message }, 'metrics scrape failed');
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.METRICS_PORT, this.config.METRICS_HOST, () => resolve());
    });
    this.logger.log({ host: this.config.METRICS_HOST, port: this.port }, 'metrics listening');
  }

  /** The bound port (METRICS_PORT). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
