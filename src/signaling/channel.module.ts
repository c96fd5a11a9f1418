import { Global, Module } from '@nestjs/common';
import { PARTICIPANT_CHANNEL } from '../common/participant-channel';
import { SocketChannel } from './socket-channel';

/** Provides the socket.io-backed participant channel to the call domain. */
@Global()
@Module({
  providers: [SocketChannel, { provide: PARTICIPANT_CHANNEL, useExisting: SocketChannel }],
  exports: [SocketChannel, PARTICIPANT_CHANNEL],
})
export class ChannelModule {}
