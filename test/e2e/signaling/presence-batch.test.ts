/**
 * Batched presence (an extension): a socket whose handshake asks for `presence: 'batched'`
 * gets `presence:batch` frames, the newest change of each user and at most one frame per
 * PRESENCE_BATCH_MS, instead of one `presence:changed` per change; other sockets get each
 * change as before. Real gateways (two on one Redis, and one alone), real socket.io clients.
 */
import type { Socket } from 'socket.io-client';
import { connectUser, connectWithToken, devToken, startTestApp, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
type Change = { userId: string; status: string; at: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collect<T>(s: Socket, event: string): T[] {
  const seen: T[] = [];
  s.on(event, (e: T) => seen.push(e));
  return seen;
}

describe.each([
  ['two gateways on one Redis', true],
  ['one gateway, no Redis', false],
] as const)('batched presence, %s', (_name, redis) => {
  const apps: TestApp[] = [];
  const sockets: Socket[] = [];
  const u = (name: string) => `pb-${redis ? 'r' : 'm'}-${process.pid}-${name}`;
  const connect = async (t: TestApp, name: string) => {
    const s = await connectUser(t.url, u(name));
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    const env = { PRESENCE_BATCH_MS: '400', ...(redis ? { REDIS_URL, REDIS_PREFIX: `hearth-pb-${process.pid}:` } : {}) };
    apps.push(await startTestApp(env));
    apps.push(redis ? await startTestApp(env) : apps[0]);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const t of new Set(apps)) await t.close();
  });

  it('one frame carries several changes, only the newest of each user; a plain socket still gets every change', async () => {
    const [here, there] = apps;
    const batched = await connectWithToken(here.url, await devToken(here.url, u('watcher')), { presence: 'batched' });
    sockets.push(batched);
    const plain = await connect(here, 'plain');
    await sleep(600); // the watchers' own arrivals are out of the way
    const frames = collect<{ changes: Change[] }>(batched, 'presence:batch');
    const singles = collect<Change>(batched, 'presence:changed');
    const plainChanges = collect<Change>(plain, 'presence:changed');

    // Within one batch interval: x and y come online (on the other gateway, when there is one), then x goes.
    const x = await connect(there, 'x');
    await connect(there, 'y');
    x.disconnect();
    await sleep(1200);

    const ours = (c: Change) => c.userId === u('x') || c.userId === u('y');
    expect(singles.filter(ours)).toEqual([]);
    const batches = frames.map((f) => f.changes.filter(ours)).filter((l) => l.length);
    expect(batches).toHaveLength(1);
    expect(batches[0].map((c) => [c.userId, c.status]).sort()).toEqual([
      [u('x'), 'offline'],
      [u('y'), 'online'],
    ]);
    expect(plainChanges.filter(ours).map((c) => [c.userId, c.status])).toEqual([
      [u('x'), 'online'],
      [u('y'), 'online'],
      [u('x'), 'offline'],
    ]);
  });

  it('changes spread over several intervals all arrive, in fewer frames than changes', async () => {
    const [here, there] = apps;
    const batched = await connectWithToken(here.url, await devToken(here.url, u('w2')), { presence: 'batched' });
    sockets.push(batched);
    const frames = collect<{ changes: Change[] }>(batched, 'presence:batch');
    await sleep(600);
    frames.length = 0;
    for (let i = 0; i < 4; i++) {
      await connect(there, `z${i}`);
      await sleep(250);
    }
    await sleep(800);
    const seen = frames.flatMap((f) => f.changes).filter((c) => c.userId.startsWith(u('z')));
    expect(new Set(seen.map((c) => c.userId))).toEqual(new Set([0, 1, 2, 3].map((i) => u(`z${i}`))));
    // Four arrivals 250 ms apart, batched every 400 ms: fewer frames than changes.
    expect(frames.filter((f) => f.changes.some((c) => c.userId.startsWith(u('z')))).length).toBeLessThan(4);
  });
});
