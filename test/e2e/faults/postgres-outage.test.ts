/**
 * PostgreSQL goes away in the middle of a call and comes back: nothing the server owes the
 * record is lost, and what lands is true. The server reaches the real PostgreSQL through a TCP
 * proxy the test cuts (every connection dropped, new ones refused) and restores.
 */
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { TEST_DATABASE_URL, connectUser, devToken, ensureTestDatabase, nextEvent, ok, startTestApp, type TestApp } from '../../support/app';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL outage', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let db: Client;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    await ensureTestDatabase();
    const direct = new URL(TEST_DATABASE_URL);
    proxy = await startTcpProxy(Number(direct.port || 5432));
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.port = String(proxy.port);
    t = await startTestApp({ DATABASE_URL: viaProxy.toString(), DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '2000', QUALITY_SAMPLE_SECONDS: '1', LOG_LEVEL: 'fatal' });
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await proxy.restore().catch(() => undefined);
    await t?.close();
    await db?.end();
    await proxy?.close();
  });

  const user = async (name: string) => {
    const id = `pgo-${process.pid}-${name}`;
    const s = await connectUser(t.url, id);
    sockets.push(s);
    return { id, s };
  };
  const answered = async (a: { id: string; s: Socket }, b: { id: string; s: Socket }) => {
    const ring = nextEvent<{ callId: string }>(b.s, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    await ring;
    await ok(b.s, 'call:join', { callId });
    await ok(a.s, 'call:join', { callId });
    return callId;
  };
  const row = async (callId: string) =>
    (await db.query<{ status: string; end_reason: string | null; ended_at: Date | null; answered_at: Date | null; duration_seconds: number | null }>('SELECT status, end_reason, ended_at, answered_at, duration_seconds FROM call_sessions WHERE id = $1', [callId])).rows[0];
  const events = async (callId: string) =>
    (await db.query<{ subject: string; user_id: string | null; to_state: string; reason: string | null }>('SELECT subject, user_id, to_state, reason FROM call_events WHERE call_id = $1 ORDER BY at, id', [callId])).rows;

  it('a call ended during the outage is logged afterwards with its true duration and every event and audit row', async () => {
    const [alice, bob, carol, dan] = [await user('alice'), await user('bob'), await user('carol'), await user('dan')];
    const callId = await answered(alice, bob);
    const forced = await answered(carol, dan);
    const adminToken = await devToken(t.url, `pgo-admin-${process.pid}`, 'Ops', 'admin');
    // A session in progress, whose host will lock it during the outage.
    const hostId = `pgo-host-${process.pid}`;
    const hostToken = await devToken(t.url, hostId, 'Host', 'host');
    const session = (await (await fetch(`${t.url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Group', startsAt: new Date().toISOString(), durationMinutes: 60 }),
    })).json()) as { sessionId: string; callId: string };
    const host = await connectUser(t.url, hostId, 'Host', 'host');
    sockets.push(host);
    await ok(host, 'call:join', { callId: session.callId });
    await sleep(1500);

    await proxy.cut();
    const outageStarted = Date.now();
    // A client's quality report during the outage: owed too.
    await ok(alice.s, 'stats:report', { callId, samples: [{ kind: 'audio', direction: 'outbound', packetsLost: 3, bitrateKbps: 31 }] });
    await sleep(1000);
    // The call ends while the database is away: the people in it see the end and its duration at once.
    const ended = nextEvent<{ reason: string; durationSeconds: number }>(bob.s, 'call:ended');
    await ok(alice.s, 'call:end', { callId });
    const endedAt = Date.now();
    const { durationSeconds } = await ended;
    expect(durationSeconds).toBeGreaterThanOrEqual(2);
    expect(durationSeconds).toBeLessThanOrEqual(4);
    // An operator action during the outage: done, and owed to the audit log.
    const force = await fetch(`${t.url}/api/admin/calls/${forced}/end`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(force.status).toBe(200);
    // The host locks the session: in force at once, owed to its row.
    await ok(host, 'host:lock', { callId: session.callId, locked: true });
    // Reading the record now fails fast and says why, instead of hanging.
    const history = await fetch(`${t.url}/api/calls/history`, { headers: { authorization: `Bearer ${await devToken(t.url, alice.id)}` } });
    expect(history.status).toBe(503);
    expect(((await history.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    // Nothing of it is in the database yet.
    expect((await row(callId)).status).not.toBe('ended');
    // What is owed shows on /metrics: depth and age of the queue.
    const owed = await (await fetch(`${t.url}/metrics`)).text();
    expect(Number(/hearth_write_queue_depth\{queue="call_log"\} (\d+)/.exec(owed)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/hearth_write_queue_oldest_seconds\{queue="call_log"\} ([\d.]+)/.exec(owed)?.[1])).toBeGreaterThan(0);
    expect(Number(/hearth_write_queue_depth\{queue="operator_audit"\} (\d+)/.exec(owed)?.[1])).toBe(1);

    // A long outage: the write is retried many times meanwhile.
    await sleep(Math.max(0, 8000 - (Date.now() - outageStarted)));
    await proxy.restore();

    let r = await row(callId);
    for (let i = 0; i < 100 && r.status !== 'ended'; i++) {
      await sleep(200);
      r = await row(callId);
    }
    expect(r).toMatchObject({ status: 'ended', end_reason: 'completed', duration_seconds: durationSeconds });
    // The time of the end, not of the write (which came about 7 s later).
    expect(Math.abs(r.ended_at!.getTime() - endedAt)).toBeLessThan(1000);
    const trail = await events(callId);
    expect(trail.filter((e) => e.subject === 'call').map((e) => e.to_state)).toEqual(['ringing', 'active', 'ended']);
    expect(trail.filter((e) => e.subject === 'participant' && e.to_state === 'left').map((e) => e.user_id).sort()).toEqual([alice.id, bob.id].sort());

    let forcedRow = await row(forced);
    for (let i = 0; i < 50 && forcedRow.status !== 'ended'; i++) {
      await sleep(200);
      forcedRow = await row(forced);
    }
    expect(forcedRow).toMatchObject({ status: 'ended', end_reason: 'force_ended' });
    let audit = (await db.query('SELECT actor_id, action, target, outcome FROM operator_audit WHERE target = $1', [forced])).rows;
    for (let i = 0; i < 50 && audit.length === 0; i++) {
      await sleep(200);
      audit = (await db.query('SELECT actor_id, action, target, outcome FROM operator_audit WHERE target = $1', [forced])).rows;
    }
    expect(audit).toEqual([{ actor_id: `pgo-admin-${process.pid}`, action: 'call.force_end', target: forced, outcome: 'ok' }]);
    const settled = await (await fetch(`${t.url}/metrics`)).text();
    expect(/hearth_write_queue_depth\{queue="call_log"\} 0/.test(settled)).toBe(true);
    expect(/hearth_write_queue_depth\{queue="operator_audit"\} 0/.test(settled)).toBe(true);
    let samples = (await db.query("SELECT packets_lost, bitrate_kbps FROM call_quality_samples WHERE call_id = $1 AND origin = 'client'", [callId])).rows;
    for (let i = 0; i < 50 && samples.length === 0; i++) {
      await sleep(200);
      samples = (await db.query("SELECT packets_lost, bitrate_kbps FROM call_quality_samples WHERE call_id = $1 AND origin = 'client'", [callId])).rows;
    }
    expect(samples).toEqual([{ packets_lost: 3, bitrate_kbps: 31 }]);
    let locked = (await db.query<{ locked: boolean }>('SELECT locked FROM sessions WHERE id = $1', [session.sessionId])).rows[0].locked;
    for (let i = 0; i < 50 && !locked; i++) {
      await sleep(200);
      locked = (await db.query<{ locked: boolean }>('SELECT locked FROM sessions WHERE id = $1', [session.sessionId])).rows[0].locked;
    }
    expect(locked).toBe(true);
    // And the history reads again.
    expect((await fetch(`${t.url}/api/calls/history`, { headers: { authorization: `Bearer ${await devToken(t.url, alice.id)}` } })).status).toBe(200);
  });
});
