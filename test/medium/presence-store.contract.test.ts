/**
 * One contract, two stores: the Redis store (against the machine's real Redis) and the
 * in-process twin must behave the same, TTLs included.
 */
import { Redis } from 'ioredis';
import { MemoryPresenceStore } from '../../src/presence/memory-presence.store';
import { statusOf, type PresenceStore } from '../../src/presence/presence.store';
import { RedisPresenceStore } from '../../src/presence/redis-presence.store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Factory = () => Promise<{ store: PresenceStore; cleanup: () => Promise<void> }>;

const stores: [string, Factory][] = [
  ['in-process', async () => ({ store: new MemoryPresenceStore(), cleanup: async () => undefined })],
  [
    'redis',
    async () => {
      const prefix = `hearth-test-${process.pid}-${Date.now()}:`;
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      const admin = new Redis(REDIS_URL);
      return {
        store: new RedisPresenceStore(redis, prefix),
        cleanup: async () => {
          const keys = await admin.keys(`${prefix}*`);
          if (keys.length) await admin.del(...keys);
          await admin.quit();
        },
      };
    },
  ],
];

describe.each(stores)('PresenceStore contract: %s', (_name, factory) => {
  let store: PresenceStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
    await store.close();
  });

  it('acquires a busy lock once per user, re-entrant for the same call', async () => {
    expect(await store.acquireBusy('u1', 'call-a', 10_000)).toBe(true);
    expect(await store.acquireBusy('u1', 'call-b', 10_000)).toBe(false);
    expect(await store.acquireBusy('u1', 'call-a', 10_000)).toBe(true);
    expect(await store.busyHolder('u1')).toBe('call-a');
    expect(await store.busyHolder('u2')).toBeNull();
  });

  it('releases only with the holder token (compare-and-delete)', async () => {
    await store.acquireBusy('u1', 'call-a', 10_000);
    expect(await store.releaseBusy('u1', 'call-b')).toBe(false);
    expect(await store.busyHolder('u1')).toBe('call-a');
    expect(await store.releaseBusy('u1', 'call-a')).toBe(true);
    expect(await store.busyHolder('u1')).toBeNull();
    expect(await store.releaseBusy('u1', 'call-a')).toBe(false);
    expect(await store.acquireBusy('u1', 'call-b', 10_000)).toBe(true);
  });

  it('lets a lock whose holder died expire by itself, and refreshes only for the holder', async () => {
    await store.acquireBusy('u1', 'call-a', 150);
    expect(await store.refreshBusy('u1', 'call-b', 10_000)).toBe(false);
    await sleep(250);
    expect(await store.busyHolder('u1')).toBeNull();
    expect(await store.refreshBusy('u1', 'call-a', 10_000)).toBe(false);
    expect(await store.acquireBusy('u1', 'call-b', 150)).toBe(true);
    await sleep(80);
    expect(await store.refreshBusy('u1', 'call-b', 10_000)).toBe(true);
    await sleep(150);
    expect(await store.busyHolder('u1')).toBe('call-b');
  });

  it('lists every held lock', async () => {
    await store.acquireBusy('u1', 'call-a', 10_000);
    await store.acquireBusy('u2', 'call-a', 10_000);
    await store.acquireBusy('u3', 'call-b', 10_000);
    await store.releaseBusy('u3', 'call-b');
    const entries = await store.busyEntries();
    expect(entries.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: 'u1', callId: 'call-a' },
      { userId: 'u2', callId: 'call-a' },
    ]);
  });

  it('tracks devices per user, with lapsing TTLs and heartbeats', async () => {
    await store.addDevice('u1', 'laptop', 10_000);
    await store.addDevice('u1', 'phone', 150);
    await store.addDevice('u2', 'tablet', 10_000);
    expect(await store.deviceCount('u1')).toBe(2);
    expect((await store.onlineUserIds()).sort()).toEqual(['u1', 'u2']);
    await store.removeDevice('u1', 'laptop');
    expect(await store.deviceCount('u1')).toBe(1);
    await sleep(80);
    await store.touchDevice('u1', 'phone', 150);
    await sleep(100);
    expect(await store.deviceCount('u1')).toBe(1);
    await sleep(150);
    expect(await store.deviceCount('u1')).toBe(0);
    expect(await store.onlineUserIds()).toEqual(['u2']);
    await store.touchDevice('u1', 'phone', 10_000); // a heartbeat never resurrects a removed device
    expect(await store.deviceCount('u1')).toBe(0);
  });

  it('keeps the role a user connected with while they are online, and forgets it once they are gone', async () => {
    await store.addDevice('u1', 'laptop', 10_000, 'host');
    await store.addDevice('u2', 'phone', 10_000);
    expect(await store.roles(['u1', 'u2', 'u3'])).toEqual(['host', 'member', null]);
    await store.removeDevice('u1', 'laptop');
    // Still known right after the last device went (the offline announcement needs it)...
    expect(await store.roles(['u1'])).toEqual(['host']);
    // ...and pruned with the online set.
    expect(await store.onlineUserIds()).toEqual(['u2']);
    expect(await store.roles(['u1', 'u2'])).toEqual([null, 'member']);
    expect(await store.roles([])).toEqual([]);
  });

  it('derives offline / online / busy', async () => {
    expect(await statusOf(store, 'u1')).toBe('offline');
    await store.addDevice('u1', 'laptop', 10_000);
    expect(await statusOf(store, 'u1')).toBe('online');
    await store.acquireBusy('u1', 'call-a', 10_000);
    expect(await statusOf(store, 'u1')).toBe('busy');
  });
});
