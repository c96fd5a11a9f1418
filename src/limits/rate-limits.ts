import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { RateSetting } from '../config/config.schema';
import { openRedis } from '../presence/redis-connections';

/** Every limit, and the setting it reads. */
export const LIMITS = {
  socketEvents: 'RATE_SOCKET_EVENTS',
  userEvents: 'RATE_USER_EVENTS',
  callSetup: 'RATE_CALL_SETUP',
  callRepeat: 'RATE_CALL_REPEAT',
  connectIp: 'RATE_CONNECT_IP',
  connectUser: 'RATE_CONNECT_USER',
  httpIp: 'RATE_HTTP_IP',
  httpUser: 'RATE_HTTP_USER',
  guestExchange: 'RATE_GUEST_EXCHANGE',
  inviteCreate: 'RATE_INVITE_CREATE',
  devToken: 'RATE_DEV_TOKEN',
  adminActions: 'RATE_ADMIN_ACTIONS',
} as const satisfies Record<string, keyof AppConfig>;
export type LimitName = keyof typeof LIMITS;

/** Keyed by something that exists on one gateway only (a socket id). */
const LOCAL_LIMITS = new Set<LimitName>(['socketEvents']);

/**
 * The abuse limits: points per window for each limit and key (a socket, a user, an address),
 * counted with rate-limiter-flexible. With REDIS_URL the counts live in Redis, so they hold
 * across every gateway; if Redis cannot answer, each process keeps counting on its own
 * (insurance limiter) rather than letting everything through or refusing everyone.
 */
@Injectable()
export class RateLimits implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters = new Map<LimitName, RateLimiterAbstract>();
  private readonly redis?: Redis;
  /** Requests refused, by limit (for /metrics). */
  readonly refused = new Map<LimitName, number>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.REDIS_URL) this.redis = openRedis(config.REDIS_URL, 'rate-limits', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    for (const [name, setting] of Object.entries(LIMITS) as [LimitName, keyof AppConfig][]) {
      const { points, seconds } = config[setting] as RateSetting;
      const memory = new RateLimiterMemory({ points, duration: seconds, keyPrefix: name });
      // A socket lives on one gateway: its count needs no Redis. Everything else is shared, and a
      // key over its limit is refused from memory for the rest of the window, so a flood costs no
      // Redis round trip per refused request.
      const shared = this.redis && !LOCAL_LIMITS.has(name);
      this.limiters.set(
        name,
        shared
          ? new RateLimiterRedis({
              storeClient: this.redis,
              points,
              duration: seconds,
              keyPrefix: `${config.REDIS_PREFIX}rl:${name}`,
              insuranceLimiter: memory,
              // Without inMemoryBlockDuration the block lasts exactly to the window's end.
              inMemoryBlockOnConsumed: points + 1,
            })
          : memory,
      );
    }
  }

  /** Counts one request against `name` for `key`; RATE_LIMITED (with retryAfterMs) when over. */
  async consume(name: LimitName, key: string, points = 1): Promise<void> {
    try {
      await this.limiters.get(name)!.consume(key, points);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) {
        // The store failed and no insurance answered: never an outage of every request.
        this.logger.warn({ limit: name, err: (res as Error)?.message }, 'rate limit store unavailable');
        return;
      }
      this.refused.set(name, (this.refused.get(name) ?? 0) + 1);
      throw new DomainError('RATE_LIMITED', `Too many requests (${name}); retry later`, { retryAfterMs: Math.max(1, Math.ceil(res.msBeforeNext)) });
    }
  }

  /** RATE_LIMITED if `key` has used up `name` in this window, without counting a request. */
  async assertUnder(name: LimitName, key: string): Promise<void> {
    const limiter = this.limiters.get(name)!;
    const res = await limiter.get(key).catch(() => null);
    if (res && res.consumedPoints >= limiter.points) {
      this.refused.set(name, (this.refused.get(name) ?? 0) + 1);
      throw new DomainError('RATE_LIMITED', `Too many requests (${name}); retry later`, { retryAfterMs: Math.max(1, Math.ceil(res.msBeforeNext)) });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
