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
  const pub = openRedis(url, 'socket.io-pub');
  const sub = openRedis(url, 'socket.io-sub');
  return {
    pub,
    sub,
    close: async () => {
      await Promise.all([pub.quit().catch(() => undefined), sub.quit().catch(() => undefined)]);
    },
  };
}
