import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { CallService } from './call.service';

@Module({
  imports: [MediaModule],
  providers: [CallService],
  exports: [CallService],
})
export class CallsModule {}
