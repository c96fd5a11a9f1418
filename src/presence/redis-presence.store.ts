import type { Redis } from 'ioredis';
import type { Role } from '../common/identity';
import type { BusyEntry, PresenceStore } from './presence.store';

// Compare-and-delete / compare-and-extend: only the holder's token (the call id) may touch the lock.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const REFRESH = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
// Re-entrant acquire: SET NX PX, or extend when the same call already holds it.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/**
 * Presence and busy locks in Redis, shared by every gateway process.
 *   busy:{userId}        = callId, PX ttl                 (the lock)
 *   presence:{userId}    = sorted set deviceId -> expiresAt (devices; lapse if a gateway dies)
 *   presence:users       = set of user ids with devices    (pruned lazily)
 *   presence:roles       = hash userId -> role               (pruned with presence:users)
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'hearth:',
  ) {}

  private busyKey = (u: string) => `${this.prefix}busy:${u}`;
  private devKey = (u: string) => `${this.prefix}presence:${u}`;
  private usersKey = () => `${this.prefix}presence:users`;
  private rolesKey = () => `${this.prefix}presence:roles`;

  async addDevice(userId: string, deviceId: string, ttlMs: number, role: Role = 'member'): Promise<void> {
    await this.redis.multi().zadd(this.devKey(userId), Date.now() + ttlMs, deviceId).sadd(this.usersKey(), userId).hset(this.rolesKey(), userId, role).exec();
  }

  async roles(userIds: string[]): Promise<(Role | null)[]> {
    if (userIds.length === 0) return [];
    return (await this.redis.hmget(this.rolesKey(), ...userIds)) as (Role | null)[];
  }

  async touchDevice(userId: string, deviceId: string, ttlMs: number): Promise<void> {
    await this.redis.zadd(this.devKey(userId), 'XX', Date.now() + ttlMs, deviceId);
  }

  async removeDevice(userId: string, deviceId: string): Promise<void> {
    await this.redis.zrem(this.devKey(userId), deviceId);
  }

  async deviceCount(userId: string): Promise<number> {
    const key = this.devKey(userId);
    const [, count] = (await this.redis.multi().zremrangebyscore(key, '-inf', Date.now()).zcard(key).exec()) ?? [];
    return Number(count?.[1] ?? 0);
  }

  async onlineUserIds(): Promise<string[]> {
    const users = await this.redis.smembers(this.usersKey());
    const counts = await Promise.all(users.map((u) => this.deviceCount(u)));
    const gone = users.filter((_, i) => counts[i] === 0);
    if (gone.length) await this.redis.multi().srem(this.usersKey(), ...gone).hdel(this.rolesKey(), ...gone).exec();
    return users.filter((_, i) => counts[i] > 0);
  }

  async acquireBusy(userId: string, callId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.busyKey(userId), callId, ttlMs)) === 1;
  }

  async refreshBusy(userId: string, callId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(REFRESH, 1, this.busyKey(userId), callId, ttlMs)) === 1;
  }

  async releaseBusy(userId: string, callId: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.busyKey(userId), callId)) === 1;
  }

  async busyHolder(userId: string): Promise<string | null> {
    return this.redis.get(this.busyKey(userId));
  }

  async busyEntries(): Promise<BusyEntry[]> {
    const out: BusyEntry[] = [];
    const prefix = this.busyKey('');
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) {
        const values = await this.redis.mget(...keys);
        keys.forEach((k, i) => {
          if (values[i]) out.push({ userId: k.slice(prefix.length), callId: values[i]! });
        });
      }
    } while (cursor !== '0');
    return out;
  }

  onReconnect(fn: () => void): void {
    let lost = false;
    this.redis.on('close', () => (lost = true));
    this.redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      fn();
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
