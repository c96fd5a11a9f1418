import { Module } from '@nestjs/common';
import { MEDIA_PORT } from './media.port';
import { MediaService } from './media.service';

/** The only module that imports mediasoup. Others see it through MEDIA_PORT. */
@Module({
  providers: [MediaService, { provide: MEDIA_PORT, useExisting: MediaService }],
  exports: [MEDIA_PORT, MediaService],
})
export class MediaModule {}
