import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MemoryPresenceStore } from './memory-presence.store';
import { PRESENCE_STORE, type PresenceStore } from './presence.store';
import { PresenceService } from './presence.service';
import { RedisPresenceStore } from './redis-presence.store';

export function createPresenceStore(config: AppConfig): PresenceStore {
  if (!config.REDIS_URL) return new MemoryPresenceStore();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', (err) => new Logger('Redis').error({ err: err.message }, 'redis connection error'));
  return new RedisPresenceStore(redis, config.REDIS_PREFIX);
}

@Global()
@Module({
  providers: [{ provide: PRESENCE_STORE, inject: [APP_CONFIG], useFactory: createPresenceStore }, PresenceService],
  exports: [PRESENCE_STORE, PresenceService],
})
export class PresenceModule implements OnApplicationShutdown {
  constructor(@Inject(PRESENCE_STORE) private readonly store: PresenceStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
