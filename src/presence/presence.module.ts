import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MemoryPresenceStore } from './memory-presence.store';
import { PRESENCE_STORE, type PresenceStore } from './presence.store';
import { PresenceService } from './presence.service';
import { openRedis } from './redis-connections';
import { RedisPresenceStore } from './redis-presence.store';

export function createPresenceStore(config: AppConfig): PresenceStore {
  if (!config.REDIS_URL) return new MemoryPresenceStore();
  return new RedisPresenceStore(openRedis(config.REDIS_URL, 'presence', { maxRetriesPerRequest: 2, enableOfflineQueue: true }), config.REDIS_PREFIX);
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
