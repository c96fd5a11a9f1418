import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { CallHistoryService } from './call-history.service';
import { CallMediaService } from './call-media.service';
import { CallReconciler } from './call-reconciler';
import { CallService } from './call.service';

@Module({
  imports: [MediaModule],
  providers: [CallService, CallMediaService, CallReconciler, CallHistoryService],
  exports: [CallService, CallMediaService, CallReconciler, CallHistoryService],
})
export class CallsModule {}
