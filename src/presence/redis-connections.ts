import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Every Redis connection this process opens is made here, with one error policy (logged, never
 * an unhandled 'error' event), so no other module imports ioredis.
 */
export function openRedis(url: string, purpose: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { connectionName: `hearth-${purpose}`, ...options });
  redis.on('error', (err: Error) => new Logger('Redis').error({ err: err.message, purpose }, 'redis connection error'));
  return redis;
}

/** The publisher/subscriber pair the socket.io Redis adapter runs on. */
export interface PubSubPair {
  readonly pub: Redis;
  readonly sub: Redis;
  /** Quits both; call it only once nothing publishes any more. */
  close(): Promise<void>;
}

export function openPubSub(url: string): PubSubPair {
  // While Redis is down, events for other gateways cannot reach them: they are dropped (counted
  // in one warning per outage), never queued to arrive stale, never an unhandled rejection (the
  // adapter does not await its publishes).
  const pub = openRedis(url, 'socket.io-pub', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const sub = openRedis(url, 'socket.io-sub');
  const publish = pub.publish.bind(pub) as (channel: string, message: string | Buffer) => Promise<number>;
  let dropped = 0;
  pub.on('ready', () => {
    if (dropped) new Logger('Redis').warn({ dropped }, 'socket.io events for other gateways dropped while Redis was down');
    dropped = 0;
  });
  (pub as unknown as { publish: typeof publish }).publish = (channel, message) =>
    publish(channel, message).catch(() => {
      dropped++;
      return 0;
    });
  return {
    pub,
    sub,
    close: async () => {
      await Promise.all([pub.quit().catch(() => undefined), sub.quit().catch(() => undefined)]);
    },
  };
}
