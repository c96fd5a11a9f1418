/**
 * A node that comes back after its calls were taken must not act on them: the owner of a call
 * is frozen (SIGSTOP) past NODE_TTL_SECONDS, a survivor takes the call over (its people, on the
 * other two gateways, get `media:reconnect` with reason `node_lost`), then the frozen node is
 * resumed (SIGCONT). It drops the call quietly (the epoch in the owner record is no longer
 * its own): nobody sees `call:ended`, the record is not touched by it, and the call goes on and
 * ends normally on its new owner. And when the lost node's call has no mirror to take over
 * from, it ends `node_lost` for everyone in it, with every lock freed, and the node that comes
 * back does not revive it. Real processes on one Redis and one PostgreSQL.
 */
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { connectWithToken, ensureTestDatabase, nextEvent, ok, signToken, TEST_DATABASE_URL } from '../../support/app';
import { explainedBy, startServerProcess, type ServerProcess } from '../../support/server-process';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'node-freeze-secret-0123456789abcdef012345';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a frozen owner node that comes back', () => {
  const prefix = `hearth-freeze-${process.pid}:`;
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: SECRET,
    MEDIASOUP_NUM_WORKERS: '1',
    NODE_TTL_SECONDS: '3',
    RING_TIMEOUT_SECONDS: '600',
    RECONNECT_GRACE_SECONDS: '60',
    RATE_HTTP_IP: '100000/1m',
    RATE_HTTP_USER: '100000/1m',
  };
  const admin = signToken(SECRET, { sub: 'freeze-admin', name: 'Admin', role: 'admin' });
  const sockets: Socket[] = [];
  const gw: ServerProcess[] = [];
  let db: Client;
  let redis: Redis;

  beforeAll(async () => {
    await ensureTestDatabase();
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    redis = new Redis(REDIS_URL);
    for (let i = 0; i < 3; i++) gw.push(await startServerProcess(env));
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const g of gw) {
      if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
    }
    redis.disconnect();
    await db.end();
  });

  const get = async <T>(g: ServerProcess, path: string): Promise<T> => (await (await fetch(`${g.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as T;
  type NodeRow = { nodeId: string; alive: boolean; calls: number; state: string; self: boolean };
  const nodesOf = (g: ServerProcess) => get<NodeRow[]>(g, '/api/admin/nodes');
  /** The calls the node behind `g` hosts (the admin list holds every node's). */
  const hostedBy = async (g: ServerProcess) => {
    const self = (await nodesOf(g)).find((n) => n.self)!.nodeId;
    return (await get<{ callId: string; nodeId: string }[]>(g, '/api/admin/calls')).filter((x) => x.nodeId === self).map((x) => x.callId);
  };
  const until = async <T>(read: () => Promise<T>, check: (v: T) => boolean, what: string, ms = 15_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (check(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
      await sleep(100);
    }
  };
  const explained = explainedBy(gw);
  const connect = async (g: ServerProcess, id: string) => {
    const s = await connectWithToken(g.url, signToken(SECRET, { sub: id, name: id }));
    sockets.push(s);
    return s;
  };
  /** `caller` on one gateway calls `callee` on another, both answer; returns the call (placement is the test's to check). */
  const answeredCall = async (callerAt: ServerProcess, callerId: string, calleeAt: ServerProcess, calleeId: string) => {
    const caller = await connect(callerAt, callerId);
    const callee = await connect(calleeAt, calleeId);
    const ring = nextEvent<{ callId: string }>(callee, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(caller, 'call:initiate', { calleeIds: [calleeId], media: 'audio' });
    await ring;
    await ok(caller, 'call:join', { callId });
    await ok(callee, 'call:join', { callId });
    return { caller, callee, callId };
  };
  /** The three node ids, once c is serving again with no call of its own (after an earlier test froze it). */
  const cServingEmpty = async () => {
    const ids = await Promise.all(gw.map(async (g) => (await nodesOf(g)).find((n) => n.self)!.nodeId));
    await until(() => nodesOf(gw[0]), (l) => l.filter((n) => n.alive).length === 3 && l.find((n) => n.nodeId === ids[2])!.calls === 0, 'c serving again, empty');
    return ids;
  };

  it('drops the call it lost without ending it, and the call ends normally on its new owner', explained(async () => {
    const [a, b, c] = gw;
    const tag = process.pid;
    const ids = await Promise.all(gw.map(async (g) => (await nodesOf(g)).find((n) => n.self)!.nodeId));
    await until(() => nodesOf(a), (l) => l.filter((n) => n.alive).length === 3, 'every node registered');
    // A ringing call on each of a and b, seen by a: the next call from a is placed on c.
    for (const [i, g] of [a, b].entries()) {
      const x = await connect(g, `fz-load${i}-x-${tag}`);
      await connect(g, `fz-load${i}-y-${tag}`);
      await ok(x, 'call:initiate', { calleeIds: [`fz-load${i}-y-${tag}`], media: 'audio' });
    }
    await until(() => nodesOf(a), (l) => ids.slice(0, 2).every((id) => l.find((n) => n.nodeId === id)?.calls === 1), 'the load seen from a');

    const { caller: ann, callee: ben, callId } = await answeredCall(a, `fz-ann-${tag}`, b, `fz-ben-${tag}`);
    for (const s of [ann, ben]) await ok(s, 'media:create-transport', { callId, direction: 'send' });
    expect(await hostedBy(c)).toEqual([callId]);
    const ownerBefore = await redis.hget(`${prefix}call-owner`, callId);
    expect(ownerBefore).toBe(`${ids[2]}|1`);

    const ended: string[] = [];
    for (const s of [ann, ben]) s.on('call:ended', (e: { reason: string }) => ended.push(e.reason));
    const reconnects = [ann, ben].map((s) => nextEvent<{ reason: string }>(s, 'media:reconnect', 20_000));
    c.child.kill('SIGSTOP');
    for (const r of await Promise.all(reconnects)) expect(r.reason).toBe('node_lost');
    const ownerAfter = (await redis.hget(`${prefix}call-owner`, callId))!;
    expect(ownerAfter.split('|')[0]).not.toBe(ids[2]);
    expect(Number(ownerAfter.split('|')[1])).toBe(2); // the next epoch
    const newOwner = gw[ids.indexOf(ownerAfter.split('|')[0])];

    // The frozen node comes back: it learns the epoch moved on and drops the call, touching nothing.
    c.child.kill('SIGCONT');
    await until(() => nodesOf(c), (l) => l.find((n) => n.self)?.alive === true && l.filter((n) => n.alive).length === 3, 'the resumed node heart-beating again');
    await until(() => hostedBy(c), (l) => l.length === 0, 'the resumed node dropping the call');
    await sleep(1500); // anything it would still do to the call has had time to happen
    expect(ended).toEqual([]);
    expect(await redis.hget(`${prefix}call-owner`, callId)).toBe(ownerAfter);
    expect(await hostedBy(newOwner)).toContain(callId);
    const row = (await db.query<{ status: string }>('SELECT status FROM call_sessions WHERE id = $1', [callId])).rows[0];
    expect(row.status).toBe('active');

    // Media requests go to the new owner from both gateways; the call ends once, normally.
    for (const s of [ann, ben]) await ok(s, 'media:create-transport', { callId, direction: 'send' });
    const benEnded = nextEvent<{ reason: string }>(ben, 'call:ended');
    await ok(ann, 'call:end', { callId });
    expect((await benEnded).reason).toBe('completed');
    await until(
      async () => (await db.query<{ status: string; end_reason: string }>('SELECT status, end_reason FROM call_sessions WHERE id = $1', [callId])).rows[0],
      (r) => r.status === 'ended',
      'the end on record',
    ).then((r) => expect(r.end_reason).toBe('completed'));
    const ends = await db.query(`SELECT 1 FROM call_events WHERE call_id = $1 AND subject = 'call' AND to_state = 'ended'`, [callId]);
    expect(ends.rowCount).toBe(1);
    expect(await redis.hget(`${prefix}call-owner`, callId)).toBeNull();
  }));

  it('a lost node whose call has no mirror: the call ends node_lost for both, every lock is freed, and the node that comes back does not bring it back', explained(async () => {
    const [a, b, c] = gw;
    const tag = `${process.pid}-2`;
    const ids = await cServingEmpty();
    const { caller: cat, callee: dan, callId } = await answeredCall(a, `fz-cat-${tag}`, b, `fz-dan-${tag}`);
    expect(await redis.hget(`${prefix}call-owner`, callId)).toBe(`${ids[2]}|1`);

    const ended: { who: string; reason: string }[] = [];
    for (const [who, s] of [['cat', cat], ['dan', dan]] as const) s.on('call:ended', (e: { callId: string; reason: string }) => e.callId === callId && ended.push({ who, reason: e.reason }));
    c.child.kill('SIGSTOP');
    await redis.hdel(`${prefix}call-state`, callId); // the mirror is gone (as if Redis lost it just before the node died)
    await until(async () => ended.length, (n) => n === 2, 'call:ended at both', 20_000);
    expect(ended.sort((x, y) => x.who.localeCompare(y.who))).toEqual([
      { who: 'cat', reason: 'node_lost' },
      { who: 'dan', reason: 'node_lost' },
    ]);
    const row = (await db.query<{ status: string; end_reason: string }>('SELECT status, end_reason FROM call_sessions WHERE id = $1', [callId])).rows[0];
    expect(row).toEqual({ status: 'ended', end_reason: 'node_lost' });
    expect(await redis.hget(`${prefix}call-owner`, callId)).toBeNull();
    // Both are free: a new call between them rings at once.
    const again = await ok<{ callId: string }>(dan, 'call:initiate', { calleeIds: [`fz-cat-${tag}`], media: 'audio' });
    await ok(dan, 'call:cancel', { callId: again.callId });

    // Back from the freeze, c finds no record of the call: it was ended, not lost in a Redis wipe, so c drops it.
    c.child.kill('SIGCONT');
    await until(() => hostedBy(c), (l) => l.length === 0, 'the resumed node dropping the call');
    await sleep(1500);
    expect(await redis.hget(`${prefix}call-owner`, callId)).toBeNull();
    expect(ended).toHaveLength(2);
    const ends = await db.query(`SELECT 1 FROM call_events WHERE call_id = $1 AND subject = 'call' AND to_state = 'ended'`, [callId]);
    expect(ends.rowCount).toBe(1);
  }));

  it('a device connected to the frozen node: back from the freeze, the node closes its socket, and the device rejoins the call on its new owner', explained(async () => {
    const [a, b, c] = gw;
    const tag = `${process.pid}-3`;
    await cServingEmpty();
    // Eve on a calls Fay, whose device is connected to c; the call is placed on c (a and b carry load).
    const { caller: eve, callee: fay, callId } = await answeredCall(a, `fz-eve-${tag}`, c, `fz-fay-${tag}`);
    expect(await hostedBy(c)).toEqual([callId]);

    const ended: string[] = [];
    eve.on('call:ended', (e: { reason: string }) => ended.push(e.reason));
    const reconnecting = nextEvent<{ userId: string }>(eve, 'call:participant-reconnecting', 20_000);
    c.child.kill('SIGSTOP');
    // The new owner counts Fay's device (on the lost node) as dropped: her seat waits out the grace.
    expect((await reconnecting).userId).toBe(`fz-fay-${tag}`);
    const dropped = new Promise<string>((r) => fay.once('disconnect', (reason) => r(reason)));
    c.child.kill('SIGCONT');
    // Back, c learns the call was taken and closes Fay's transport, as a network drop.
    expect(await dropped).toBe('transport close');
    // Her device reconnects (here to a) and rejoins: the same call, on its new owner.
    const fay2 = await connect(a, `fz-fay-${tag}`);
    const back = nextEvent<{ userId: string }>(eve, 'call:participant-joined');
    const ack = await ok<{ callId: string; participants: { userId: string; state: string }[] }>(fay2, 'call:join', { callId });
    expect(ack.callId).toBe(callId);
    expect((await back).userId).toBe(`fz-fay-${tag}`);
    expect(ack.participants.map((p) => p.state)).toEqual(['joined', 'joined']);
    await ok(fay2, 'media:create-transport', { callId, direction: 'recv' });
    expect(ended).toEqual([]);
    await ok(eve, 'call:end', { callId });
  }));
});
