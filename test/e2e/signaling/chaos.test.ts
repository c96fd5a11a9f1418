/**
 * Chaos: hundreds of random call cycles across several users, with random drops, concurrent
 * ends, duplicate initiates and cancels, against the real gateway, Redis and PostgreSQL.
 * Bounded in count and time. Afterwards nothing may be left: no busy key, no media object,
 * no call that is not ended, one end per call, at most one call:ended per party.
 */
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { APP_CONFIG } from '../../../src/config/app-config';
import { PresenceService } from '../../../src/presence/presence.service';
import { io } from 'socket.io-client';
import { Redis } from 'ioredis';
import { devToken, request, startTestApp, TEST_DATABASE_URL, type AckResult, type TestApp, liveCalls, settled } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CYCLES = Number(process.env.CHAOS_CYCLES ?? 300);
const LANES = 4;
const SEED = Number(process.env.CHAOS_SEED ?? 20261129);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const CHAOS_ENV = {
  REDIS_URL,
  RING_TIMEOUT_SECONDS: '2',
  RECONNECT_GRACE_SECONDS: '1',
  RATE_CALL_SETUP: '100000/10s',
  RATE_CALL_REPEAT: '100000/1m',
};

describe('chaos', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    // The run drives the call state machine as hard as it can; the abuse limits, tested in
    // abuse-limits.test.ts, would otherwise refuse most of its call setups.
    t = await startTestApp({ ...CHAOS_ENV, REDIS_PREFIX: `hearth-chaos-${process.pid}:` });
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it(`survives ${CYCLES} random call cycles with nothing left behind`, () => runChaos([t], db, 'one gateway', 'chaos'));
});

describe('chaos across two gateways', () => {
  const nodes: TestApp[] = [];
  let db: Client;

  beforeAll(async () => {
    const env = { ...CHAOS_ENV, REDIS_PREFIX: `hearth-chaos2-${process.pid}:`, NODE_TTL_SECONDS: '3' };
    for (let i = 0; i < 2; i++) nodes.push(await startTestApp(env));
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    for (const n of nodes) await n.close();
  });

  // Every (re)connect lands on a gateway picked at random, as behind a load balancer: a call's
  // parties, and one party before and after a drop, are often on different gateways.
  it(`survives ${CYCLES} random call cycles with its users spread over two gateways, nothing left behind on either`, () => runChaos(nodes, db, 'two gateways', 'chaos2'));
});

async function runChaos(apps: TestApp[], db: Client, label: string, tag: string): Promise<void> {
  const rand = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const users = Array.from({ length: 8 }, (_, i) => `${tag}${i}-${process.pid}`);
  const gateway = () => apps[Math.floor(rand() * apps.length)].url;
  const socketOf = new Map<string, Socket>();
  const endedSeen = new Map<string, number>(); // `${callId}|${userId}` -> call:ended count
  const dropped = new Set<string>(); // `${callId}|${userId}` for users who lost their socket mid-call
  const callIds = new Set<string>();
  const outcomes = new Map<string, number>();
  const unexpected: string[] = [];

  // The listener is attached before the socket connects, so no event can slip past it.
  const connectCounted = async (userId: string): Promise<Socket> => {
    const url = gateway();
    const s = io(url, { auth: { token: await devToken(url, userId) }, transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
    s.on('call:ended', (p: { callId: string }) => {
      const k = `${p.callId}|${userId}`;
      endedSeen.set(k, (endedSeen.get(k) ?? 0) + 1);
    });
    s.connect();
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    return s;
  };
  const attach = (userId: string, s: Socket) => socketOf.set(userId, s);
  for (const u of users) attach(u, await connectCounted(u));

  const note = (what: string, res: AckResult) => {
    const key = res.ok ? `${what}:ok` : `${what}:${res.error.code}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (!res.ok && res.error.code === 'INTERNAL') unexpected.push(`${what} -> INTERNAL ${res.error.message}`);
    // No node is lost or draining here: every gateway must reach every call's owner.
    if (!res.ok && res.error.code === 'UNAVAILABLE') unexpected.push(`${what} -> UNAVAILABLE ${res.error.message}`);
  };
  const send = async (userId: string, event: string, payload: unknown) => {
    const socket = socketOf.get(userId)!;
    const res = await request(socket, event, payload).catch((err: Error) => {
      // Another lane dropped this very socket mid-request: no ack is the right outcome.
      if (!socket.connected) return { ok: false, error: { code: 'SOCKET_DROPPED', message: '' } } as AckResult;
      unexpected.push(`${event}: no ack (${err.message})`);
      return { ok: false, error: { code: 'NO_ACK', message: '' } } as AckResult;
    });
    note(event, res);
    return res;
  };
  // Each user has one device at a time here, so every call:ended is counted once per party.
  const drop = async (userId: string, callId: string) => {
    dropped.add(`${callId}|${userId}`);
    const mine = socketOf.get(userId)!;
    mine.disconnect();
    const quick = rand() < 0.7;
    if (!quick) await sleep(1300); // past the grace
    if (socketOf.get(userId) !== mine) return; // another lane already brought this user back
    attach(userId, await connectCounted(userId));
    if (quick && rand() < 0.6) await send(userId, 'call:join', { callId });
  };

  const cycle = async () => {
    const caller = pick(users);
    const callee = pick(users.filter((u) => u !== caller));
    const initiate = () => send(caller, 'call:initiate', { calleeIds: [callee], media: pick(['audio', 'video']) });
    const results = rand() < 0.3 ? await Promise.all([initiate(), initiate()]) : [await initiate()];
    const okIds = [...new Set(results.flatMap((r) => (r.ok ? [(r.data as { callId: string }).callId] : [])))];
    if (okIds.length > 1) unexpected.push(`duplicate initiate gave ${okIds.length} calls`);
    const callId = okIds[0];
    if (!callId) return;
    callIds.add(callId);
    const r = rand();
    if (r < 0.12) return void (await send(caller, 'call:cancel', { callId }));
    if (r < 0.22) return void (await send(callee, 'call:decline', { callId }));
    if (r < 0.27) return; // nobody answers: ring timeout
    await send(caller, 'call:join', { callId });
    await send(callee, 'call:join', { callId });
    await sleep(rand() * 60);
    const e = rand();
    if (e < 0.25) await Promise.all([send(caller, 'call:end', { callId }), send(callee, 'call:end', { callId })]);
    else if (e < 0.4) await send(pick([caller, callee]), 'call:leave', { callId });
    else if (e < 0.55) {
      // A drop, maybe followed by a rejoin: a rejoined call legitimately goes on, so hang up after.
      await drop(pick([caller, callee]), callId);
      await send(pick([caller, callee]), 'call:end', { callId });
    }
    else if (e < 0.65) {
      const url = gateway();
      const token = await devToken(url, caller);
      const res = await fetch(`${url}/api/calls/${callId}/end`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      outcomes.set(`http-end:${res.status}`, (outcomes.get(`http-end:${res.status}`) ?? 0) + 1);
      if (res.status >= 500) unexpected.push(`HTTP end -> ${res.status}`);
    } else if (e < 0.75) await Promise.all([send(callee, 'call:end', { callId }), drop(caller, callId)]);
    else await send(pick([caller, callee]), 'call:end', { callId });
  };

  const started = Date.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (done < CYCLES && Date.now() - started < 240_000) {
        done++;
        await cycle();
      }
    }),
  );

  // Let ring timeouts and reconnect graces run out, then the reconciler pass.
  const live = () => apps.flatMap((a) => liveCalls(a.app).liveCalls());
  for (let i = 0; i < 100 && live().length > 0; i++) await sleep(100);
  await sleep(200);
  for (const a of apps) await settled(a.app);

  const ids = [...callIds];
  const rows = (await db.query('SELECT id, status, end_reason FROM call_sessions WHERE id = ANY($1::uuid[])', [ids])).rows as { id: string; status: string; end_reason: string | null }[];
  const ends = (await db.query(`SELECT call_id, count(*)::int AS n FROM call_events WHERE call_id = ANY($1::uuid[]) AND subject = 'call' AND to_state = 'ended' GROUP BY call_id`, [ids])).rows as { call_id: string; n: number }[];
  const parts = (await db.query('SELECT call_id, user_id FROM call_participants WHERE call_id = ANY($1::uuid[])', [ids])).rows as { call_id: string; user_id: string }[];
  const reasons = new Map<string, number>();
  for (const r of rows) reasons.set(r.end_reason ?? 'null', (reasons.get(r.end_reason ?? 'null') ?? 0) + 1);
  const badParty = parts
    .filter((p) => {
      const k = `${p.call_id}|${p.user_id}`;
      const n = endedSeen.get(k) ?? 0;
      return dropped.has(k) ? n > 1 : n !== 1;
    })
    .map((p) => ({ ...p, seen: endedSeen.get(`${p.call_id}|${p.user_id}`) ?? 0, reason: rows.find((r) => r.id === p.call_id)?.end_reason }));

  console.log(
    `chaos (${label}) seed=${SEED}: ${done} cycles, ${ids.length} calls in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      `  end reasons: ${JSON.stringify(Object.fromEntries(reasons))}\n` +
      `  outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`,
  );

  expect(unexpected).toEqual([]);
  // A leftover call is shown with its whole state, so a failure says what went wrong.
  const leftovers = live().map((c) => ({
    callId: c.id,
    status: c.status,
    participants: [...c.participants.values()].map((p) => `${p.role}:${p.state}:${p.socketId ? 'seat' : 'noseat'}:${p.graceTimer ? 'grace' : 'nograce'}`),
  }));
  expect(leftovers).toEqual([]);
  expect(await apps[0].app.get(PresenceService).store.busyEntries()).toEqual([]);
  // No call is owned by any node any more, and no mirror of one is left.
  const redis = new Redis(REDIS_URL);
  const prefix = apps[0].app.get(APP_CONFIG).REDIS_PREFIX;
  const cluster = { owners: await redis.hkeys(`${prefix}call-owner`), mirrors: await redis.hkeys(`${prefix}call-state`) };
  redis.disconnect();
  expect(cluster).toEqual({ owners: [], mirrors: [] });
  for (const a of apps) {
    expect(a.app.get(MediaService).roomIds()).toEqual([]);
    expect(await a.app.get(MediaService).liveObjects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  }
  expect(rows).toHaveLength(ids.length);
  expect(rows.filter((r) => r.status !== 'ended' || !r.end_reason)).toEqual([]);
  expect(ends.filter((e) => e.n !== 1)).toEqual([]);
  expect(ends).toHaveLength(ids.length);
  expect(badParty).toEqual([]);
  for (const s of socketOf.values()) s.disconnect();
}
