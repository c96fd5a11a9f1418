import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';
import type { PubSubPair } from '../presence/redis-connections';
import { ConfiguredIoAdapter } from './socket-io.adapter';

/** socket.io over Redis pub/sub, so every gateway process reaches every device. The connections come from presence/. */
export class RedisIoAdapter extends ConfiguredIoAdapter {
  constructor(
    app: INestApplicationContext,
    config: Pick<AppConfig, 'SOCKET_MAX_PAYLOAD_BYTES' | 'CORS_ORIGINS'>,
    private readonly redis: PubSubPair,
    /** REDIS_PREFIX: the adapter's channels are this deployment's alone. */
    private readonly prefix: string,
    /** Called as the socket server closes: nothing may publish on the Redis clients after this. */
    private readonly onClose: () => void = () => undefined,
  ) {
    super(app, config);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options) as Server;
    // Without its own key every deployment on one Redis would share the channel `socket.io`, and a
    // call:incoming (with the caller's name) would reach a same-named user of another deployment.
    server.adapter(createAdapter(this.redis.pub, this.redis.sub, { key: `${this.prefix}socket.io` }));
    return server;
  }

  override async close(server: Server): Promise<void> {
    this.onClose();
    await super.close(server);
    await this.redis.close();
  }
}
