import { Module } from '@nestjs/common';
import { MEDIA_OPERATIONS } from './media-operations.port';
import { MEDIA_PORT } from './media.port';
import { MediaService } from './media.service';

/** The only module that imports mediasoup. The call domain sees it through MEDIA_PORT, operators and health checks through MEDIA_OPERATIONS. */
@Module({
  providers: [MediaService, { provide: MEDIA_PORT, useExisting: MediaService }, { provide: MEDIA_OPERATIONS, useExisting: MediaService }],
  exports: [MEDIA_PORT, MEDIA_OPERATIONS],
})
export class MediaModule {}
