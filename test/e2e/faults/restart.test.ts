/**
 * Restart semantics with real gateway processes, PostgreSQL and Redis: a graceful stop ends
 * ordinary calls but only suspends a therapy session (it is resumed after the restart, its
 * status never moving back); a second signal exits at once; after a SIGKILL, the next gateway
 * takes the dead one's calls over (node loss), and whoever does not come back within the grace
 * leaves, with every lock freed.
 */
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { connectWithToken, ensureTestDatabase, nextEvent, ok, signToken, TEST_DATABASE_URL } from '../../support/app';
import { startServerProcess, type ServerProcess } from '../../support/server-process';
import { startTcpProxy } from '../../support/tcp-proxy';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'restart-test-secret-0123456789abcdef0123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('restarts', () => {
  const prefix = `hearth-restart-${process.pid}:`;
  const env = { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, REDIS_PREFIX: prefix, RECONCILE_INTERVAL_SECONDS: '1', MEDIASOUP_NUM_WORKERS: '1', JWT_SECRET: SECRET };
  const sockets: Socket[] = [];
  const servers: ServerProcess[] = [];
  let db: Client;
  let redis: Redis;
  let n = 0;

  beforeAll(async () => {
    await ensureTestDatabase();
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.end();
  });

  const start = async (extra: Record<string, string> = {}) => {
    const s = await startServerProcess({ ...env, ...extra });
    servers.push(s);
    return s;
  };
  const token = (id: string, role = 'member') => signToken(SECRET, { sub: id, name: id, role });
  const connect = async (url: string, t: string) => {
    const s = await connectWithToken(url, t);
    sockets.push(s);
    return s;
  };
  const exited = (s: ServerProcess) => new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', (code) => r(code))));

  /** A session in progress on `url`: its host and a guest seated (no waiting room), plus an ordinary 1:1 call. */
  async function inProgress(url: string) {
    const tag = `${process.pid}-${++n}`;
    const hostId = `rs-host-${tag}`;
    const hostToken = token(hostId, 'host');
    const created = (await (await fetch(`${url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Group', startsAt: new Date().toISOString(), durationMinutes: 60, lobby: false }),
    })).json()) as { sessionId: string; callId: string; inviteUrl: string };
    const invite = new URL(created.inviteUrl).searchParams.get('invite');
    const guest = (await (await fetch(`${url}/api/sessions/${created.sessionId}/guest-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invite, name: 'Guest' }) })).json()) as { token: string; userId: string };
    const host = await connect(url, hostToken);
    await ok(host, 'call:join', { callId: created.callId });
    const g = await connect(url, guest.token);
    await ok(g, 'call:join', { callId: created.callId });
    const [a, b] = [`rs-a-${tag}`, `rs-b-${tag}`];
    const as = await connect(url, token(a));
    const bs = await connect(url, token(b));
    const ring = nextEvent<{ callId: string }>(bs, 'call:incoming');
    const { callId: oneToOne } = await ok<{ callId: string }>(as, 'call:initiate', { calleeIds: [b], media: 'audio' });
    await ring;
    await ok(bs, 'call:join', { callId: oneToOne });
    await sleep(500); // the answered states reach the database
    return { ...created, hostId, hostToken, guest, oneToOne, a, b };
  }
  const callRow = async (id: string) =>
    (await db.query<{ status: string; end_reason: string | null; owner_id: string | null; answered_at: Date | null }>('SELECT status, end_reason, owner_id, answered_at FROM call_sessions WHERE id = $1', [id])).rows[0];
  const sessionStatus = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [id])).rows[0].status;
  const controls = async (callId: string) =>
    (await db.query<{ to_state: string; reason: string | null }>("SELECT to_state, reason FROM call_events WHERE call_id = $1 AND subject = 'control' ORDER BY at, id", [callId])).rows.map((e) => `${e.to_state}:${e.reason ?? ''}`);
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await sleep(200);
    }
  };

  it('a graceful stop ends ordinary calls, suspends the session, and the session resumes after the restart', async () => {
    const first = await start();
    const s = await inProgress(first.url);
    const answeredAt = (await callRow(s.callId)).answered_at;
    expect(answeredAt).not.toBeNull();

    expect(await first.stop()).toBe(0);
    // The 1:1 call is over; the session is not.
    expect(await callRow(s.oneToOne)).toMatchObject({ status: 'ended', end_reason: 'failed' });
    expect(await sessionStatus(s.sessionId)).toBe('scheduled');
    expect(await callRow(s.callId)).toMatchObject({ status: 'active', end_reason: null });
    expect(await controls(s.callId)).toContain('suspend:gateway_stopped');
    expect(await redis.get(`${prefix}busy:${s.hostId}`)).toBeNull();

    const second = await start();
    const host = await connect(second.url, s.hostToken);
    expect(await ok(host, 'call:join', { callId: s.callId })).toHaveProperty('routerRtpCapabilities');
    const guest = await connect(second.url, s.guest.token);
    expect(await ok(guest, 'call:join', { callId: s.callId })).toHaveProperty('routerRtpCapabilities');
    await until(() => controls(s.callId), (c) => c.at(-1) === 'resume:', 'the resume on record');
    // Same call, still active, answered when it first was: its status never went back.
    const resumed = await callRow(s.callId);
    expect(resumed).toMatchObject({ status: 'active' });
    expect(resumed.answered_at?.getTime()).toBe(answeredAt!.getTime());
    expect((await controls(s.callId)).slice(-2)).toEqual(['suspend:gateway_stopped', 'resume:']);
    expect(await second.stop()).toBe(0);
  });

  /** A gateway whose database stops answering (a partition): its graceful stop waits on owed writes. */
  async function partitioned(extra: Record<string, string> = {}) {
    const proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.port = String(proxy.port);
    const server = await startServerProcess({ ...env, DATABASE_URL: viaProxy.toString(), DB_CONNECT_TIMEOUT_MS: '10000', ...extra });
    servers.push(server);
    await inProgress(server.url);
    proxy.blackhole();
    return { server, proxy };
  }

  it('a second signal exits at once, and so does a stop past SHUTDOWN_DEADLINE_SECONDS', async () => {
    const { server, proxy } = await partitioned();
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    // Not at the same instant: two pending SIGTERMs are one signal to the kernel.
    await sleep(500);
    expect(server.child.exitCode).toBeNull(); // still stopping: its writes wait for the database
    server.child.kill('SIGTERM');
    expect(await exited(server)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(server.output()).toContain('second SIGTERM: exiting now');
    await proxy.close();

    const late = await partitioned({ SHUTDOWN_DEADLINE_SECONDS: '2' });
    const t1 = Date.now();
    late.server.child.kill('SIGTERM');
    expect(await exited(late.server)).toBe(1);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t1).toBeLessThan(6000);
    expect(late.server.output()).toContain('shutdown took longer than SHUTDOWN_DEADLINE_SECONDS=2');
    await late.proxy.close();
  });

  it('after a SIGKILL, the next gateway takes the dead one\'s calls over: who comes back within the grace keeps their seat, the rest leave, every lock is freed', async () => {
    const first = await start();
    const s = await inProgress(first.url);
    expect(await redis.get(`${prefix}busy:${s.a}`)).toBe(s.oneToOne);
    const deadNode = (await callRow(s.oneToOne)).owner_id;
    first.child.kill('SIGKILL');
    await exited(first);

    const second = await start({ RECONNECT_GRACE_SECONDS: '4' });
    // The dead node's heartbeat has lapsed: its calls are now the second node's, still going.
    const taken = await until(() => callRow(s.oneToOne), (r) => r.owner_id !== deadNode, 'the 1:1 call to be taken over');
    expect(taken).toMatchObject({ status: 'active', end_reason: null });
    expect(await until(() => callRow(s.callId), (r) => r.owner_id === taken.owner_id, 'the session call to be taken over')).toMatchObject({ status: 'active' });
    expect(await controls(s.callId)).toContain('taken_over:');

    // The host and one side of the 1:1 come back (as their clients reconnect through the load balancer) and keep their seats.
    const host = await connect(second.url, s.hostToken);
    expect(await ok(host, 'call:join', { callId: s.callId })).toHaveProperty('routerRtpCapabilities');
    const a = await connect(second.url, token(s.a));
    const ended = nextEvent<{ reason: string }>(a, 'call:ended', 15_000);
    const rejoined = await ok<{ participants: { userId: string; state: string }[] }>(a, 'call:join', { callId: s.oneToOne });
    expect(rejoined.participants.find((p) => p.userId === s.a)?.state).toBe('joined');

    // The other side never comes back: after the grace the 1:1 call ends, the guest leaves the session, which goes on.
    expect((await ended).reason).toBe('connection_lost');
    expect(await until(() => callRow(s.oneToOne), (r) => r.status === 'ended', 'the 1:1 call to end')).toMatchObject({ end_reason: 'connection_lost' });
    const guestRow = async () => (await db.query<{ state: string; leave_reason: string }>('SELECT state, leave_reason FROM call_participants WHERE call_id = $1 AND user_id = $2', [s.callId, s.guest.userId])).rows[0];
    expect(await until(guestRow, (r) => r.state === 'left', 'the guest to leave')).toMatchObject({ leave_reason: 'connection_lost' });
    expect(await callRow(s.callId)).toMatchObject({ status: 'active' });
    expect(await sessionStatus(s.sessionId)).toBe('scheduled');
    for (const id of [s.a, s.b, s.guest.userId]) {
      expect(await until(() => redis.get(`${prefix}busy:${id}`), (v) => v === null, `${id}'s lock to be freed`)).toBeNull();
    }
    expect(await redis.get(`${prefix}busy:${s.hostId}`)).toBe(s.callId);
    expect(await second.stop()).toBe(0);
  });
});
