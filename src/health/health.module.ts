import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule } from '../audit/audit.module';
import { CallsModule } from '../calls/calls.module';
import { ClusterModule } from '../cluster/cluster.module';
import { MediaModule } from '../media/media.module';
import { QualityModule } from '../quality/quality.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics-listener';
import { MetricsScraper } from './metrics.scraper';
import { Readiness } from './readiness';

@Module({ imports: [TerminusModule, MediaModule, CallsModule, ClusterModule, AuditModule, QualityModule], controllers: [HealthController, MetricsController], providers: [Readiness, MetricsScraper, MetricsListener] })
export class HealthModule {}
