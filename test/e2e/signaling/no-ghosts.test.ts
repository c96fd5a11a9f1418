/**
 * The post-mortems this product exists for, replayed with real socket.io clients against the
 * real gateway, real Redis and real PostgreSQL. After every test: no live call, no busy lock.
 */
import type { Socket } from 'socket.io-client';
import { Client } from 'pg';
import { MediaService } from '../../../src/media/media.service';
import { PresenceService } from '../../../src/presence/presence.service';
import { connectUser, devToken, nextEvent, ok, request, startTestApp, TEST_DATABASE_URL, type TestApp, liveCalls, settled } from '../../support/app';
import { opusRtpParameters } from './media-payloads';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['Redis', { REDIS_URL, REDIS_PREFIX: `hearth-ghosts-${process.pid}:` }],
  ['in-process', {}],
])('no ghosts (%s presence)', (_store, env) => {
  let t: TestApp;
  let db: Client;
  const sockets: Socket[] = [];
  let seq = 0;
  const uid = (name: string) => `${name}-g${process.pid}-${++seq}`;

  async function user(name: string): Promise<{ id: string; s: Socket }> {
    const id = uid(name);
    const s = await connectUser(t.url, id, name);
    sockets.push(s);
    return { id, s };
  }

  const calls = () => liveCalls(t.app);
  const store = () => t.app.get(PresenceService).store;

  /** Collects every event of a name on a socket, to count them later. */
  function collect<T>(s: Socket, event: string): T[] {
    const seen: T[] = [];
    s.on(event, (p: T) => seen.push(p));
    return seen;
  }

  async function answered(a: { s: Socket }, b: { id: string; s: Socket }): Promise<string> {
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'video' });
    await ok(a.s, 'call:join', { callId });
    await ok(b.s, 'call:join', { callId });
    return callId;
  }

  async function row(callId: string) {
    await settled(t.app);
    return (await db.query('SELECT * FROM call_sessions WHERE id = $1', [callId])).rows[0];
  }

  async function endEvents(callId: string): Promise<number> {
    await settled(t.app);
    return Number((await db.query(`SELECT count(*) FROM call_events WHERE call_id = $1 AND subject = 'call' AND to_state = 'ended'`, [callId])).rows[0].count);
  }

  beforeAll(async () => {
    t = await startTestApp({ RING_TIMEOUT_SECONDS: '3', RECONNECT_GRACE_SECONDS: '1', ...env });
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    // Give grace timers of dropped sockets time to run out, then: nothing may be left.
    await sleep(1200);
    await settled(t.app);
    expect(calls().liveCallIds()).toEqual([]);
    expect(calls().busyUserIds()).toEqual([]);
    expect(await store().busyEntries()).toEqual([]);
    expect(t.app.get(MediaService).roomIds()).toEqual([]);
  });

  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('end, then call again at once', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const first = await answered(a, b);
    await ok(a.s, 'call:end', { callId: first });
    const again = await ok<{ callId: string }>(b.s, 'call:initiate', { calleeIds: [a.id], media: 'audio' });
    expect(again.callId).not.toBe(first);
    await ok(b.s, 'call:cancel', { callId: again.callId });
  });

  it('five calls in a row, each logged ended/completed', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const callId = await answered(i % 2 ? b : a, i % 2 ? a : b);
      await ok(i % 2 ? a.s : b.s, 'call:end', { callId });
      ids.push(callId);
    }
    for (const id of ids) expect(await row(id)).toMatchObject({ status: 'ended', end_reason: 'completed' });
  });

  it('both sides end at the same moment: one end, one log entry, one call:ended each', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const endedA = collect<{ reason: string }>(a.s, 'call:ended');
    const endedB = collect<{ reason: string }>(b.s, 'call:ended');
    const callId = await answered(a, b);
    const [ra, rb] = await Promise.all([request(a.s, 'call:end', { callId }), request(b.s, 'call:end', { callId })]);
    expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
    await sleep(300);
    expect(endedA).toHaveLength(1);
    expect(endedB).toHaveLength(1);
    expect(await endEvents(callId)).toBe(1);
  });

  it('the callee drops mid-call: the caller is told, the call ends, nobody stays busy', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const callId = await answered(a, b);
    const reconnecting = nextEvent<{ userId: string }>(a.s, 'call:participant-reconnecting');
    const ended = nextEvent<{ reason: string }>(a.s, 'call:ended', 5000);
    b.s.disconnect();
    expect((await reconnecting).userId).toBe(b.id);
    expect((await ended).reason).toBe('connection_lost');
    await settled(t.app);
    expect(await store().busyHolder(a.id)).toBeNull();
    expect(await store().busyHolder(b.id)).toBeNull();
    expect(await t.app.get(PresenceService).status(a.id)).toBe('online');
    expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'connection_lost' });
  });

  it('calling back after a drop gives the same call, not a second one', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const callId = await answered(a, b);
    b.s.disconnect();
    await nextEvent(a.s, 'call:participant-reconnecting');
    const b2 = await connectUser(t.url, b.id, 'bob');
    sockets.push(b2);
    const back = await ok<{ callId: string }>(b2, 'call:initiate', { calleeIds: [a.id], media: 'video' });
    expect(back.callId).toBe(callId);
    await ok(b2, 'call:join', { callId });
    expect(calls().get(callId)?.participants.get(b.id)?.state).toBe('joined');
    expect(calls().liveCallIds()).toEqual([callId]);
    await ok(a.s, 'call:end', { callId });
  });

  it('calling back the person who is ringing you joins their call', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    expect(await ok(b.s, 'call:initiate', { calleeIds: [a.id], media: 'audio' })).toEqual({ callId });
    await ok(a.s, 'call:cancel', { callId });
  });

  it('a duplicate initiate (double click) gives one call and rings once', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const incoming = collect<{ callId: string }>(b.s, 'call:incoming');
    const [x, y] = await Promise.all([
      ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' }),
      ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' }),
    ]);
    expect(x.callId).toBe(y.callId);
    await sleep(200);
    expect(incoming).toHaveLength(1);
    await ok(a.s, 'call:cancel', { callId: x.callId });
  });

  it('a page refresh mid-call rejoins the same call; the other side keeps its media', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const callId = await answered(a, b);
    const send = await ok<{ transportId: string }>(a.s, 'media:create-transport', { callId, direction: 'send' });
    const { producerId } = await ok<{ producerId: string }>(a.s, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(2222) });
    b.s.disconnect();
    const b2 = await connectUser(t.url, b.id, 'bob');
    sockets.push(b2);
    const rejoin = await ok<{ producers: { producerId: string }[] }>(b2, 'call:join', { callId });
    expect(rejoin.producers.map((p) => p.producerId)).toEqual([producerId]);
    expect(calls().get(callId)?.status).toBe('active');
    expect(t.app.get(MediaService).counts(callId)).toMatchObject({ producers: 1 });
    await ok(b2, 'call:end', { callId });
  });

  it('cancel before answer: every callee device stops ringing, the log says cancelled, the callee sees a missed call', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const bPhone = await connectUser(t.url, b.id, 'bob');
    sockets.push(bPhone);
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'video' });
    const stopLaptop = nextEvent(b.s, 'call:cancelled');
    const stopPhone = nextEvent(bPhone, 'call:cancelled');
    const t0 = Date.now();
    await ok(a.s, 'call:cancel', { callId });
    await Promise.all([stopLaptop, stopPhone]);
    console.log(`cancel -> call:cancelled on both callee devices: ${Date.now() - t0} ms`);
    expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'cancelled', duration_seconds: 0 });
    const res = await fetch(`${t.url}/api/calls/history?limit=5`, { headers: { authorization: `Bearer ${await devToken(t.url, b.id)}` } });
    const history = (await res.json()) as { callId: string; reason: string; participants: { userId: string; joinedAt: string | null }[] }[];
    const entry = history.find((h) => h.callId === callId)!;
    expect(entry.reason).toBe('cancelled');
    expect(entry.participants.find((p) => p.userId === b.id)?.joinedAt).toBeNull();
  });

  it('an answered call of N seconds is logged ended/completed with the server-computed duration', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const callId = await answered(a, b);
    await sleep(2000);
    const ended = nextEvent<{ durationSeconds: number }>(b.s, 'call:ended');
    await ok(a.s, 'call:end', { callId });
    const { durationSeconds } = await ended;
    expect(durationSeconds).toBeGreaterThanOrEqual(1);
    expect(durationSeconds).toBeLessThanOrEqual(3);
    const r = await row(callId);
    expect(r).toMatchObject({ status: 'ended', end_reason: 'completed', duration_seconds: durationSeconds });
    const detail = await fetch(`${t.url}/api/calls/${callId}`, { headers: { authorization: `Bearer ${await devToken(t.url, a.id)}` } });
    const body = (await detail.json()) as { events: { subject: string; to: string }[] };
    expect(body.events.filter((e) => e.subject === 'call').map((e) => e.to)).toEqual(['ringing', 'active', 'ended']);
    const stranger = await fetch(`${t.url}/api/calls/${callId}`, { headers: { authorization: `Bearer ${await devToken(t.url, 'stranger')}` } });
    expect(stranger.status).toBe(404);
  });

  it('nobody answers: the call ends as missed after the ring timeout', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    const ended = await nextEvent<{ reason: string }>(b.s, 'call:ended', 6000);
    expect(ended.reason).toBe('missed');
    expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'missed' });
  });

  it('the HTTP end releases the busy locks exactly like the socket end', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const callId = await answered(a, b);
    expect(await store().busyHolder(a.id)).toBe(callId);
    const res = await fetch(`${t.url}/api/calls/${callId}/end`, { method: 'POST', headers: { authorization: `Bearer ${await devToken(t.url, a.id)}` } });
    expect(res.status).toBe(200);
    await settled(t.app);
    expect(await store().busyHolder(a.id)).toBeNull();
    expect(await store().busyHolder(b.id)).toBeNull();
    const again = await ok<{ callId: string }>(b.s, 'call:initiate', { calleeIds: [a.id], media: 'audio' });
    await ok(b.s, 'call:cancel', { callId: again.callId });
  });
});
