import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CallsModule } from '../calls/calls.module';
import { MediaModule } from '../media/media.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';

@Module({ imports: [TerminusModule, MediaModule, CallsModule], controllers: [HealthController, MetricsController] })
export class HealthModule {}
