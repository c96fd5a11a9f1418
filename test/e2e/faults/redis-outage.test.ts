/**
 * Redis goes away mid-call and comes back empty: the live call keeps its media and its people,
 * new calls are refused with UNAVAILABLE (not INTERNAL), and once Redis returns, presence and
 * busy locks are rebuilt from the live state. A Redis server the test owns, killed and started
 * again on the same port; real gateway, real workers, real socket.io clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { connectUser, nextEvent, ok, request, startTestApp, type TestApp } from '../../support/app';
import { MediaService } from '../../../src/media/media.service';
import { PresenceService } from '../../../src/presence/presence.service';
import { freePort } from '../../support/server-process';
import { opusRtpParameters } from '../signaling/media-payloads';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return proc;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('redis-server did not start');
}

describe('Redis outage', () => {
  let port: number;
  let redisProc: ChildProcess;
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    port = await freePort();
    redisProc = await startRedis(port);
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'fatal', BUSY_LOCK_TTL_SECONDS: '30' });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
    redisProc?.kill('SIGKILL');
  });

  const user = async (name: string) => {
    const id = `ro-${process.pid}-${name}`;
    const s = await connectUser(t.url, id);
    sockets.push(s);
    return { id, s };
  };

  it('keeps a live call through it, refuses new calls as UNAVAILABLE, and rebuilds presence and locks after', async () => {
    const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
    const ring = nextEvent<{ callId: string }>(bob.s, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(alice.s, 'call:initiate', { calleeIds: [bob.id], media: 'audio' });
    await ring;
    await ok(bob.s, 'call:join', { callId });
    await ok(alice.s, 'call:join', { callId });
    const send = await ok<{ transportId: string }>(alice.s, 'media:create-transport', { callId, direction: 'send' });
    const { producerId } = await ok<{ producerId: string }>(alice.s, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(4242) });
    const store = t.app.get(PresenceService).store;
    expect(await store.busyHolder(alice.id)).toBe(callId);
    const media = t.app.get(MediaService).counts(callId);
    expect(media).toMatchObject({ producers: 1 });

    redisProc.kill('SIGKILL');
    await new Promise((r) => redisProc.once('exit', r));
    await sleep(300);

    // The call goes on: its media room, its producer, its people, and media requests work.
    expect(t.app.get(MediaService).counts(callId)).toEqual(media);
    expect(await request(alice.s, 'media:pause-producer', { producerId })).toMatchObject({ ok: true });
    // A new call cannot be checked against presence and locks: refused, and said why.
    const t0 = Date.now();
    const refused = await request(carol.s, 'call:initiate', { calleeIds: [bob.id], media: 'audio' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(Date.now() - t0).toBeLessThan(5000);

    // Redis is back, empty (nothing was saved).
    redisProc = await startRedis(port);
    const fresh = new Redis({ port });
    try {
      // Presence and busy locks are rebuilt from what this gateway holds.
      // (within 3 s: the periodic refresh, every BUSY_LOCK_TTL_SECONDS / 3 = 10 s, would be too late)
      for (let i = 0; i < 30 && (await store.busyHolder(alice.id)) !== callId; i++) await sleep(100);
      expect(await store.busyHolder(alice.id)).toBe(callId);
      expect(await store.busyHolder(bob.id)).toBe(callId);
      for (const u of [alice, bob, carol]) expect(await store.deviceCount(u.id)).toBeGreaterThan(0);
      expect(await fresh.dbsize()).toBeGreaterThan(0);
      // So the busy callee is busy again, and a free one can be called.
      expect(await request(carol.s, 'call:initiate', { calleeIds: [bob.id], media: 'audio' })).toMatchObject({ ok: false, error: { code: 'USER_BUSY' } });
      // The call that lived through it ends normally and frees everyone.
      const ended = nextEvent<{ reason: string }>(bob.s, 'call:ended');
      await ok(alice.s, 'call:end', { callId });
      expect((await ended).reason).toBe('completed');
      for (let i = 0; i < 50 && (await store.busyHolder(alice.id)) !== null; i++) await sleep(100);
      expect(await store.busyHolder(alice.id)).toBeNull();
      const ring2 = nextEvent<{ callId: string }>(bob.s, 'call:incoming');
      const again = await ok<{ callId: string }>(carol.s, 'call:initiate', { calleeIds: [bob.id], media: 'audio' });
      expect((await ring2).callId).toBe(again.callId);
    } finally {
      fresh.disconnect();
    }
  });
});
