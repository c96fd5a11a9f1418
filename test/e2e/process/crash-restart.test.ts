/**
 * A gateway process killed mid-call, then restarted: the reconciler ends the call as
 * failed, releases the busy locks, and both users can call again. Real processes, real
 * PostgreSQL and Redis.
 */
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { connectUser, ensureTestDatabase, ok, TEST_DATABASE_URL } from '../../support/app';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateway killed mid-call, then restarted', () => {
  const prefix = `hearth-crash-${process.pid}:`;
  const env = { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, REDIS_PREFIX: prefix, RECONCILE_INTERVAL_SECONDS: '1', MEDIASOUP_NUM_WORKERS: '1' };
  const sockets: Socket[] = [];
  let db: Client;
  let redis: Redis;
  let first: ServerProcess;
  let second: ServerProcess | undefined;

  beforeAll(async () => {
    await ensureTestDatabase();
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await second?.stop();
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.end();
  });

  // With the cluster's records in Redis, the next gateway takes the dead one's calls over
  // (test/e2e/faults/restart.test.ts). Without them (Redis restarted empty of everything but
  // the locks, say), the database's heartbeats still let the reconciler close the orphan.
  it('ends the orphaned call as failed and frees both users when no node record is left to take it over', async () => {
    first = await startServerProcess(env);
    const ann = `ann-${process.pid}`;
    const ben = `ben-${process.pid}`;
    const a = await connectUser(first.url, ann);
    const b = await connectUser(first.url, ben);
    sockets.push(a, b);
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [ben], media: 'video' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    await sleep(300); // let the answered state land in the database

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const before = await db.query('SELECT status FROM call_sessions WHERE id = $1', [callId]);
    expect(before.rows[0].status).toBe('active');
    expect(await redis.get(`${prefix}busy:${ann}`)).toBe(callId);
    expect(await redis.hget(`${prefix}call-owner`, callId)).toMatch(/\|1$/);
    await redis.del(`${prefix}nodes`, `${prefix}call-owner`, `${prefix}call-state`);

    second = await startServerProcess(env);
    // The dead instance stops heart-beating; within a few reconcile periods its call is closed.
    let row: { status: string; end_reason: string } | undefined;
    for (let i = 0; i < 60 && row?.status !== 'ended'; i++) {
      await sleep(500);
      row = (await db.query('SELECT status, end_reason FROM call_sessions WHERE id = $1', [callId])).rows[0];
    }
    expect(row).toEqual({ status: 'ended', end_reason: 'failed' });
    expect(await redis.get(`${prefix}busy:${ann}`)).toBeNull();
    expect(await redis.get(`${prefix}busy:${ben}`)).toBeNull();
    const events = await db.query(`SELECT to_state, reason FROM call_events WHERE call_id = $1 AND subject = 'call' ORDER BY id`, [callId]);
    expect(events.rows.map((r) => r.to_state)).toEqual(['ringing', 'active', 'ended']);

    const a2 = await connectUser(second.url, ann);
    const b2 = await connectUser(second.url, ben);
    sockets.push(a2, b2);
    const again = await ok<{ callId: string }>(b2, 'call:initiate', { calleeIds: [ann], media: 'audio' });
    expect(again.callId).not.toBe(callId);
    await ok(b2, 'call:cancel', { callId: again.callId });
  });
});
