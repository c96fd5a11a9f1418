/**
 * The soak, shortened: a few hundred call cycles through the call domain (real PostgreSQL,
 * Redis and mediasoup workers), every end path taken, then everything the gateway holds is
 * back exactly where it was: Redis keys, mediasoup objects, open call rows, live calls, the
 * per-call entries of its maps, and its timers. `npm run bench:soak` runs 10,000 and prints
 * the same counts with heap and RSS.
 */
import { END_PATHS, Soak, soakClients } from '../support/soak';
import { startTestApp, TEST_DATABASE_URL, type TestApp } from '../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CYCLES = Number(process.env.SOAK_CYCLES ?? 300);

describe('soak (shortened)', () => {
  let t: TestApp;
  let clients: Awaited<ReturnType<typeof soakClients>>;

  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL, REDIS_PREFIX: `hearth-soak-${process.pid}:`, RING_TIMEOUT_SECONDS: '1', RECONNECT_GRACE_SECONDS: '1' });
    clients = await soakClients(TEST_DATABASE_URL, REDIS_URL);
  });

  afterAll(async () => {
    clients.redis?.disconnect();
    await clients.db.end();
    await t.close();
  });

  it(`${CYCLES} call cycles over every end path leave the gateway holding exactly what it held before`, async () => {
    const soak = new Soak(t.app, clients.db, clients.redis);
    const users = await soak.users(8, `m${process.pid}`);
    const pairs = [0, 2, 4, 6].map((i) => [users[i], users[i + 1]] as [(typeof users)[0], (typeof users)[0]]);
    await soak.run(pairs, 20, 1); // warm-up: lazily made things (a router per worker, prepared statements) are part of the baseline
    soak.countTimers();
    const { heapUsedMb: _h0, rssMb: _r0, externalMb: _e0, ...before } = await soak.footprint();
    await soak.run(pairs, CYCLES, 20261204);
    const { heapUsedMb: _h1, rssMb: _r1, externalMb: _e1, ...after } = await soak.footprint();
    soak.close();
    if (after.timers !== before.timers) console.log('timers still pending, by where they were set:', soak.timerPlaces());
    expect([...soak.paths.keys()].sort()).toEqual(Object.keys(END_PATHS).sort()); // every path was taken
    expect(Object.fromEntries(soak.refusals)).toEqual({});
    expect(after).toEqual(before);
    expect(after).toMatchObject({ routers: 0, transports: 0, producers: 0, consumers: 0, mediaRooms: 0, openCallRows: 0, liveCalls: 0 });
  });
});
