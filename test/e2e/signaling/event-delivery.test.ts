/**
 * Two delivery rules: a device whose seat another device of the same user took hears no more of
 * that call; one user's presence changes reach clients in the order they happened. Real gateway
 * on real Redis, real socket.io clients.
 */
import type { Socket } from 'socket.io-client';
import { connectUser, nextEvent, ok, startTestApp, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('event delivery', () => {
  let t: TestApp;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL, REDIS_PREFIX: `hearth-ed-${process.pid}:` });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });
  const connect = async (id: string) => {
    const s = await connectUser(t.url, id);
    sockets.push(s);
    return s;
  };

  it('sends nothing more of a call to the device whose seat was taken', async () => {
    const [aId, bId] = [`ed-a-${process.pid}`, `ed-b-${process.pid}`];
    const laptop = await connect(aId);
    const bob = await connect(bId);
    const ring = nextEvent<{ callId: string }>(bob, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(laptop, 'call:initiate', { calleeIds: [bId], media: 'audio' });
    await ring;
    await ok(bob, 'call:join', { callId });
    await ok(laptop, 'call:join', { callId });

    // Alice's phone takes the seat.
    const phone = await connect(aId);
    const moved = nextEvent(laptop, 'call:answered-elsewhere');
    await ok(phone, 'call:join', { callId });
    await moved;
    const heardByLaptop: string[] = [];
    laptop.onAny((event: string, payload: { callId?: string }) => {
      if (payload?.callId === callId) heardByLaptop.push(event);
    });

    // Bob's mic goes on and off, then he ends the call: the phone hears it all, the laptop nothing.
    const send = await ok<{ transportId: string }>(bob, 'media:create-transport', { callId, direction: 'send' });
    void send;
    const toggled = nextEvent(phone, 'call:ended');
    await ok(bob, 'call:end', { callId });
    await toggled;
    await sleep(300);
    expect(heardByLaptop).toEqual([]);
  });

  it('delivers one user\'s presence changes in order, each newer than the last', async () => {
    const watcher = await connect(`ed-w-${process.pid}`);
    const flickerId = `ed-f-${process.pid}`;
    const seen: { status: string; at: number }[] = [];
    watcher.on('presence:changed', (e: { userId: string; status: string; at: number }) => {
      if (e.userId === flickerId) seen.push({ status: e.status, at: e.at });
    });
    // Online and offline as fast as a flaky network can make it.
    for (let i = 0; i < 10; i++) {
      const s = await connectUser(t.url, flickerId);
      s.disconnect();
    }
    await sleep(800);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i].at).toBeGreaterThanOrEqual(seen[i - 1].at);
    // The last word is the truth: they are offline.
    expect(seen.at(-1)?.status).toBe('offline');
  });
});
