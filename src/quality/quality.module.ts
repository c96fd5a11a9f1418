import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { MediaModule } from '../media/media.module';
import { QualityService } from './quality.service';

@Module({ imports: [CallsModule, MediaModule], providers: [QualityService], exports: [QualityService] })
export class QualityModule {}
