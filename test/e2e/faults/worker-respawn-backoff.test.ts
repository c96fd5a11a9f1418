/**
 * A media worker that keeps dying (SIGKILL, again and again, as fast as it comes back): each
 * replacement in its slot waits twice as long as the one before, the call on it re-homes every
 * time without anyone being dropped, another slot's first death still gets the short pause, and
 * at the end the pool is whole, ready and counted: /metrics has every death by slot.
 */
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import type { PooledWorker } from '../../../src/media/worker-pool';
import { connectUser, liveCalls, nextEvent, ok, startTestApp, type TestApp } from '../../support/app';
import { clientRtpCapabilities, opusRtpParameters } from '../signaling/media-payloads';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASE_MS = 200;

describe('media worker respawn backoff', () => {
  let t: TestApp;
  let media: MediaService;
  const sockets: Socket[] = [];
  const scheduled: { slot: number; delayMs: number }[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      MEDIASOUP_NUM_WORKERS: '1',
      WORKER_RESPAWN_DELAY_MS: String(BASE_MS),
      REDIS_URL,
      REDIS_PREFIX: `hearth-respawn-${process.pid}:`,
    });
    media = t.app.get(MediaService);
    media.pool.on('respawnscheduled', (slot, delayMs) => scheduled.push({ slot, delayMs }));
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const workerIn = (slot: number) => media.pool.list().find((w) => w.slot === slot)!;
  const replacementIn = (slot: number) => new Promise<PooledWorker>((resolve) => {
    const on = (w: PooledWorker) => {
      if (w.slot !== slot) return;
      media.pool.off('workeradded', on);
      resolve(w);
    };
    media.pool.on('workeradded', on);
  });
  /** SIGKILLs the worker in `slot`: `died` once the pool knows, `up` with the time until its replacement was up. */
  const kill = (slot: number) => {
    const victim = workerIn(slot);
    const died = new Promise<void>((resolve) => media.pool.once('workerdied', () => resolve()));
    const replaced = replacementIn(slot);
    const t0 = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    const up = replaced.then((replacement) => ({ ms: Date.now() - t0, victim, replacement }));
    return { died, up };
  };

  it('waits twice as long for each replacement in a row, re-homing the call every time', async () => {
    const aId = `rb-a-${process.pid}`;
    const bId = `rb-b-${process.pid}`;
    const a = await connectUser(t.url, aId);
    const b = await connectUser(t.url, bId);
    sockets.push(a, b);
    const ended: unknown[] = [];
    a.on('call:ended', (p) => ended.push(p));
    b.on('call:ended', (p) => ended.push(p));
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [bId], media: 'audio' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });

    const measured: number[] = [];
    for (let i = 0; i < 4; i++) {
      const reconnectA = nextEvent<{ callId: string; reason: string }>(a, 'media:reconnect');
      const reconnectB = nextEvent<{ callId: string; reason: string }>(b, 'media:reconnect');
      const killed = kill(0);
      await killed.died;
      // The only worker is gone until its replacement is up: not ready meanwhile.
      expect((await fetch(`${t.url}/health/ready`)).status).toBe(503);
      const { ms, victim, replacement } = await killed.up;
      measured.push(ms);
      expect(replacement.pid).not.toBe(victim.pid);
      expect(replacement.slot).toBe(0);
      expect(await reconnectA).toMatchObject({ callId, reason: 'worker_died' });
      expect(await reconnectB).toMatchObject({ callId, reason: 'worker_died' });
      expect(media.room(callId).host.pid).toBe(replacement.pid);
      expect(liveCalls(t.app).get(callId)?.status).toBe('active');
    }
    console.log(`kill -> replacement up, ms (scheduled ${scheduled.map((s) => s.delayMs).join(', ')}): ${measured.join(', ')}`);

    expect(scheduled).toEqual([200, 400, 800, 1600].map((delayMs) => ({ slot: 0, delayMs })));
    // Each replacement came no sooner than its pause, and not much later (starting a worker takes tens of ms).
    [200, 400, 800, 1600].forEach((pause, i) => {
      expect(measured[i]).toBeGreaterThanOrEqual(pause);
      expect(measured[i]).toBeLessThan(pause + 1500);
    });
    for (let i = 1; i < measured.length; i++) expect(measured[i]).toBeGreaterThan(measured[i - 1] * 1.4);

    // Media signaling works on the fourth replacement.
    const send = await ok<{ transportId: string }>(a, 'media:create-transport', { callId, direction: 'send' });
    const announced = nextEvent<{ producerId: string }>(b, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(a, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(5151) });
    expect((await announced).producerId).toBe(producerId);
    const recv = await ok<{ transportId: string }>(b, 'media:create-transport', { callId, direction: 'recv' });
    await ok(b, 'media:consume', { transportId: recv.transportId, producerId, rtpCapabilities: clientRtpCapabilities });
    expect(ended).toEqual([]);
    await ok(a, 'call:end', { callId });
  });

  it('keeps slots apart: another slot’s first death gets the short pause while slot 0’s streak goes on', async () => {
    const added = await media.addWorker();
    expect(added.slot).toBe(1);
    scheduled.length = 0;
    const one = await kill(1).up;
    const zero = await kill(0).up;
    expect(scheduled).toEqual([
      { slot: 1, delayMs: BASE_MS },
      { slot: 0, delayMs: 3200 }, // the slot's fifth death within a minute of the last start
    ]);
    console.log(`slot 1 first death -> up: ${one.ms} ms; slot 0 fifth death -> up: ${zero.ms} ms`);
    expect(one.ms).toBeLessThan(BASE_MS + 1500);
    expect(zero.ms).toBeGreaterThanOrEqual(3200);
  });

  it('ends whole: both slots live, ready, and every death counted by slot', async () => {
    expect(media.pool.list().map((w) => w.slot).sort()).toEqual([0, 1]);
    expect(media.pool.pendingRespawns()).toEqual([]);
    expect(media.liveWorkerCount()).toBe(2);
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/^hearth_worker_deaths_total\{slot="0"\} 5$/m);
    expect(text).toMatch(/^hearth_worker_deaths_total\{slot="1"\} 1$/m);
    expect(text).toMatch(/^hearth_worker_respawn_delay_seconds\{slot="0"\} 3\.2$/m);
    expect(text).toMatch(/^hearth_media_workers\{state="active"\} 2$/m);
    // A new call finds a worker.
    const c = await connectUser(t.url, `rb-c-${process.pid}`);
    const d = await connectUser(t.url, `rb-d-${process.pid}`);
    sockets.push(c, d);
    const { callId } = await ok<{ callId: string }>(c, 'call:initiate', { calleeIds: [`rb-d-${process.pid}`], media: 'audio' });
    await ok(c, 'call:join', { callId });
    await ok(d, 'call:join', { callId });
    expect(media.workerOf(callId)).not.toBeNull();
    await ok(c, 'call:end', { callId });
  });
});
