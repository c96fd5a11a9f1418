import { Module } from '@nestjs/common';
import { MetricsRegistry } from '../health/metrics.registry';
import { RetentionJob } from './retention.job';
import { prometheusRetentionMetrics } from './retention.metrics';
import { RETENTION_METRICS } from './retention.port';

/** The daily retention purge. Its store (RETENTION_STORE) comes from the global PersistenceModule. */
@Module({
  providers: [RetentionJob, { provide: RETENTION_METRICS, inject: [MetricsRegistry], useFactory: (m: MetricsRegistry) => prometheusRetentionMetrics(m.registry) }],
  exports: [RetentionJob],
})
export class RetentionModule {}
