/**
 * Two gateway processes' worth of servers sharing one Redis: presence and busy locks agree,
 * and events reach a device wherever it is connected (socket.io Redis adapter).
 */
import type { Socket } from 'socket.io-client';
import { connectUser, nextEvent, ok, request, startTestApp, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('two gateways on one Redis', () => {
  const env = { REDIS_URL, REDIS_PREFIX: `hearth-multi-${process.pid}:` };
  let one: TestApp;
  let two: TestApp;
  const sockets: Socket[] = [];
  const id = (n: string) => `${n}-m${process.pid}`;

  beforeAll(async () => {
    one = await startTestApp(env);
    two = await startTestApp(env);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await one.close();
    await two.close();
  });

  it('agree on presence, deliver across gateways, and refuse a user busy on the other gateway', async () => {
    const ann = await connectUser(one.url, id('ann'));
    const ben = await connectUser(one.url, id('ben'));
    const cat = await connectUser(two.url, id('cat'));
    sockets.push(ann, ben, cat);

    // cat (on two) sees ann and ben (on one) online.
    const list = await ok<{ users: { userId: string; status: string }[] }>(cat, 'presence:list', {});
    expect(list.users).toEqual(expect.arrayContaining([{ userId: id('ann'), status: 'online' }, { userId: id('ben'), status: 'online' }]));

    // ann calls ben on gateway one; cat on gateway two is told both are busy.
    const annBusy = new Promise<void>((resolve) =>
      cat.on('presence:changed', (p: { userId: string; status: string }) => p.userId === id('ann') && p.status === 'busy' && resolve()),
    );
    const { callId } = await ok<{ callId: string }>(ann, 'call:initiate', { calleeIds: [id('ben')], media: 'audio' });
    await annBusy;
    await ok(ann, 'call:join', { callId });
    await ok(ben, 'call:join', { callId });

    // cat, on the other gateway, cannot double-book ann.
    expect(await request(cat, 'call:initiate', { calleeIds: [id('ann')], media: 'audio' })).toMatchObject({
      ok: false,
      error: { code: 'USER_BUSY', busyUserIds: [id('ann')] },
    });

    // A device of ben on gateway two hears the call end that happens on gateway one.
    const benPhone = await connectUser(two.url, id('ben'));
    sockets.push(benPhone);
    const ended = nextEvent<{ callId: string; reason: string }>(benPhone, 'call:ended');
    await ok(ann, 'call:end', { callId });
    expect(await ended).toEqual({ callId, reason: 'completed', durationSeconds: expect.any(Number) });

    // Free again everywhere: cat can now call ann.
    const incoming = nextEvent<{ callId: string }>(ann, 'call:incoming');
    const again = await ok<{ callId: string }>(cat, 'call:initiate', { calleeIds: [id('ann')], media: 'audio' });
    expect((await incoming).callId).toBe(again.callId);
    await ok(cat, 'call:cancel', { callId: again.callId });
  });

  it('two deployments sharing one Redis never see each other\'s events (the adapter channel uses REDIS_PREFIX)', async () => {
    const other = await startTestApp({ REDIS_URL, REDIS_PREFIX: `hearth-other-${process.pid}:` });
    try {
      // The same user id in both deployments: a clinic's "dora" and another's.
      const ours = await connectUser(two.url, id('dora'));
      const theirs = await connectUser(other.url, id('dora'));
      const eve = await connectUser(one.url, id('eve'));
      sockets.push(ours, theirs, eve);
      const leaked: unknown[] = [];
      theirs.onAny((event: string, payload: unknown) => leaked.push({ event, payload }));
      const incoming = nextEvent<{ callId: string; from: { name: string } }>(ours, 'call:incoming');
      const { callId } = await ok<{ callId: string }>(eve, 'call:initiate', { calleeIds: [id('dora')], media: 'video' });
      expect((await incoming).callId).toBe(callId);
      await ok(eve, 'call:cancel', { callId });
      // Give a leak every chance to arrive: the cancel's own events went out after the ring.
      await new Promise((r) => setTimeout(r, 500));
      expect(leaked).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
