import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { CallHistoryService } from './call-history.service';
import { CallMediaService } from './call-media.service';
import { CallReconciler } from './call-reconciler';
import { BusyLocks } from './busy-locks';
import { CallExits } from './call-exits';
import { CallHandoff } from './call-handoff';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import { CallService } from './call.service';
import { SessionCalls } from './session-calls';
import { SessionHostControls } from './session-host-controls';
import { SessionTimers } from './session-timers';
import { SessionWrites } from './session-writes';

@Module({
  imports: [MediaModule],
  providers: [CallRegistry, CallLogWriter, BusyLocks, CallExits, SessionTimers, SessionWrites, SessionHostControls, SessionCalls, CallService, CallMediaService, CallReconciler, CallHistoryService, CallHandoff],
  exports: [CallHandoff, SessionWrites, CallRegistry, CallLogWriter, BusyLocks, CallService, SessionCalls, SessionHostControls, CallMediaService, CallReconciler, CallHistoryService],
})
export class CallsModule {}
