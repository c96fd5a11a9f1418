import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { CallHistoryService } from './call-history.service';
import { CallReconciler } from './call-reconciler';
import { CallService } from './call.service';

@Module({
  imports: [MediaModule],
  providers: [CallService, CallReconciler, CallHistoryService],
  exports: [CallService, CallReconciler, CallHistoryService],
})
export class CallsModule {}
