import { Global, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { CALL_OWNERSHIP, singleNode } from '../calls/ports';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { openRedis } from '../presence/redis-connections';
import { ClusterStore } from './cluster-store';
import { NodeRelay } from './node-relay';

/** The cluster's Redis side when REDIS_URL is set (null otherwise: one process owns every call). */
export const CLUSTER_STORE = Symbol('CLUSTER_STORE');
export const NODE_RELAY = Symbol('NODE_RELAY');

function createStore(config: AppConfig): ClusterStore | null {
  if (!config.REDIS_URL) return null;
  const redis = openRedis(config.REDIS_URL, 'cluster', { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  return new ClusterStore(redis, config.REDIS_PREFIX, config.instanceId, config.NODE_TTL_SECONDS * 1000);
}

function createRelay(config: AppConfig): NodeRelay | null {
  if (!config.REDIS_URL) return null;
  const pub = openRedis(config.REDIS_URL, 'relay-pub', { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const sub = openRedis(config.REDIS_URL, 'relay-sub');
  return new NodeRelay(pub, sub, config.REDIS_PREFIX, config.instanceId, config.RELAY_TIMEOUT_MS);
}

/**
 * Call ownership (the calls domain's CALL_OWNERSHIP port), the node registry and the relay,
 * global so the calls domain and the edges see the same ones.
 */
@Global()
@Module({
  providers: [
    { provide: CLUSTER_STORE, inject: [APP_CONFIG], useFactory: createStore },
    { provide: NODE_RELAY, inject: [APP_CONFIG], useFactory: createRelay },
    { provide: CALL_OWNERSHIP, inject: [APP_CONFIG, CLUSTER_STORE], useFactory: (config: AppConfig, store: ClusterStore | null) => store ?? singleNode(config.instanceId) },
  ],
  exports: [CLUSTER_STORE, NODE_RELAY, CALL_OWNERSHIP],
})
export class ClusterStoreModule implements OnApplicationShutdown {
  constructor(
    @Optional() @Inject(CLUSTER_STORE) private readonly store: ClusterStore | null,
    @Optional() @Inject(NODE_RELAY) private readonly relay: NodeRelay | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.relay?.close();
    await Promise.all([this.store?.close(), this.relay?.quit()]);
  }
}
