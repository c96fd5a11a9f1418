/**
 * Real socket.io clients against the real gateway (real PostgreSQL, real mediasoup workers).
 */
import { io, type Socket } from 'socket.io-client';
import { Client } from 'pg';
import { MediaService } from '../../../src/media/media.service';
import { connectUser, devToken, nextEvent, ok, request, startTestApp, TEST_DATABASE_URL, type TestApp, liveCalls, settled } from '../../support/app';
import { clientRtpCapabilities, opusRtpParameters } from './media-payloads';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// The whole suite runs twice: in-process presence, and Redis presence + socket.io Redis adapter.
describe.each([
  ['in-process presence', {}],
  ['Redis presence', { REDIS_URL, REDIS_PREFIX: `hearth-e2e-${process.pid}:` }],
])('calls with %s', (_store, env) => {
let t: TestApp;
let db: Client;
const sockets: Socket[] = [];
let seq = 0;
/** Unique user ids per test so calls never collide across tests. */
const uid = (name: string) => `${name}-${process.pid}-${++seq}`;

async function user(name: string): Promise<{ id: string; s: Socket }> {
  const id = uid(name);
  const s = await connectUser(t.url, id, name);
  sockets.push(s);
  return { id, s };
}

async function callLog(callId: string) {
  await settled(t.app);
  const call = await db.query('SELECT * FROM call_sessions WHERE id = $1', [callId]);
  const participants = await db.query('SELECT * FROM call_participants WHERE call_id = $1 ORDER BY user_id', [callId]);
  return { call: call.rows[0], participants: participants.rows };
}

beforeAll(async () => {
  t = await startTestApp({ RING_TIMEOUT_SECONDS: '30', RECONNECT_GRACE_SECONDS: '1', ...env });
  db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});

afterAll(async () => {
  await db.end();
  await t.close();
});

describe('connection and identity', () => {
  it.each([
    ['no token', {}],
    ['a garbage token', { token: 'nope' }],
    ['a token signed with another secret', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmF0dXJl' }],
  ])('refuses %s with UNAUTHORIZED', async (_name, auth) => {
    const s = io(t.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
    expect(err.message).toBe('UNAUTHORIZED');
    s.close();
  });

  it('validates the dev token body', async () => {
    const res = await fetch(`${t.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userId":42}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('malformed payloads', () => {
  const events = [
    'call:initiate', 'call:join', 'call:decline', 'call:cancel', 'call:leave', 'call:end',
    'media:create-transport', 'media:connect-transport', 'media:produce', 'media:consume', 'media:resume-consumer',
    'media:pause-producer', 'media:resume-producer', 'media:close-producer', 'media:restart-ice', 'stats:report',
  ];
  const garbage: unknown[] = [undefined, null, 42, 'text', [], {}, { callId: 'not-an-id' }, { transportId: 1, dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: 'zz' }] } }];

  it('get VALIDATION_FAILED in the ack for every event, and the server stays up', async () => {
    const { s } = await user('mallory');
    for (const event of events) {
      for (const payload of garbage) {
        const res = await request(s, event, payload);
        expect({ event, payload, ok: res.ok, code: res.ok ? undefined : res.error.code }).toEqual({ event, payload, ok: false, code: 'VALIDATION_FAILED' });
      }
    }
    const ready = await fetch(`${t.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(t.app.get(MediaService).pool.size).toBe(2);
  });
});

describe('1:1 calls', () => {
  it('rings every device of the callee, answers, exchanges producers and ends for both', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const bPhone = await connectUser(t.url, b.id, 'bob');
    sockets.push(bPhone);

    const incomingLaptop = nextEvent<{ callId: string; from: { userId: string } }>(b.s, 'call:incoming');
    const incomingPhone = nextEvent<{ callId: string }>(bPhone, 'call:incoming');
    const ringing = nextEvent<{ userId: string }>(a.s, 'call:ringing');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    expect((await incomingLaptop).callId).toBe(callId);
    expect((await incomingLaptop).from.userId).toBe(a.id);
    expect((await incomingPhone).callId).toBe(callId);
    expect((await ringing).userId).toBe(b.id);

    // Idempotent initiate while it rings.
    expect(await ok(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' })).toEqual({ callId });

    const aJoin = await ok<{ routerRtpCapabilities: { codecs: unknown[] }; participants: unknown[] }>(a.s, 'call:join', { callId });
    expect(aJoin.routerRtpCapabilities.codecs.length).toBeGreaterThan(0);
    const joinedNotice = nextEvent<{ userId: string }>(a.s, 'call:participant-joined');
    const stopRingingPhone = nextEvent<{ callId: string }>(bPhone, 'call:answered-elsewhere');
    const bJoin = await ok<{ participants: { userId: string; state: string }[]; producers: unknown[] }>(b.s, 'call:join', { callId });
    expect((await joinedNotice).userId).toBe(b.id);
    expect(await stopRingingPhone).toEqual({ callId });
    expect(bJoin.participants.map((p) => p.state).sort()).toEqual(['joined', 'joined']);

    // Media signaling: alice produces, bob is told and consumes (paused, then resumed).
    const send = await ok<{ transportId: string; iceCandidates: unknown[] }>(a.s, 'media:create-transport', { callId, direction: 'send' });
    expect(send.iceCandidates.length).toBeGreaterThan(0);
    const newProducer = nextEvent<{ producerId: string; userId: string; kind: string; source: string }>(b.s, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(a.s, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(1111) });
    expect(await newProducer).toMatchObject({ producerId, userId: a.id, kind: 'audio', source: 'mic' });
    const recv = await ok<{ transportId: string }>(b.s, 'media:create-transport', { callId, direction: 'recv' });
    const consumer = await ok<{ consumerId: string; userId: string; source: string }>(b.s, 'media:consume', { transportId: recv.transportId, producerId, rtpCapabilities: clientRtpCapabilities });
    expect(consumer).toMatchObject({ producerId, userId: a.id, source: 'mic', kind: 'audio' });
    await ok(b.s, 'media:resume-consumer', { consumerId: consumer.consumerId });

    // Mute is announced to the other side.
    const toggled = nextEvent<{ userId: string; enabled: boolean; source: string }>(b.s, 'call:media-toggled');
    await ok(a.s, 'media:pause-producer', { producerId });
    expect(await toggled).toMatchObject({ callId, userId: a.id, source: 'mic', enabled: false });
    const muted = (await callLog(callId)).participants.find((p: { user_id: string }) => p.user_id === a.id);
    expect(muted).toMatchObject({ audio_enabled: false, video_enabled: false });
    await ok(a.s, 'media:resume-producer', { producerId });
    const live = (await callLog(callId)).participants.find((p: { user_id: string }) => p.user_id === a.id);
    expect(live).toMatchObject({ audio_enabled: true, video_enabled: false });

    // Another device of bob cannot touch bob's media; a stranger cannot create transports.
    expect(await request(bPhone, 'media:resume-consumer', { consumerId: consumer.consumerId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const eve = await user('eve');
    expect(await request(eve.s, 'media:create-transport', { callId, direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(eve.s, 'call:join', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    expect(t.app.get(MediaService).counts(callId)).toEqual({ peers: 2, transports: 2, producers: 1, consumers: 1 });

    const endedA = nextEvent<{ reason: string; durationSeconds: number }>(a.s, 'call:ended');
    const endedB = nextEvent<{ reason: string }>(b.s, 'call:ended');
    const endedPhone = nextEvent<{ reason: string }>(bPhone, 'call:ended');
    await ok(b.s, 'call:end', { callId });
    expect(await endedA).toMatchObject({ callId, reason: 'completed' });
    expect((await endedB).reason).toBe('completed');
    expect((await endedPhone).reason).toBe('completed');

    expect(t.app.get(MediaService).counts(callId)).toBeUndefined();
    expect(liveCalls(t.app).callOf(a.id)).toBeUndefined();
    expect(liveCalls(t.app).callOf(b.id)).toBeUndefined();
    const log = await callLog(callId);
    expect(log.call).toMatchObject({ status: 'ended', end_reason: 'completed', initiator_id: a.id, media: 'audio' });
    expect(log.call.answered_at).not.toBeNull();
    expect(log.participants.map((p: { state: string }) => p.state)).toEqual(['left', 'left']);

    // Both can call again at once.
    const again = await ok<{ callId: string }>(b.s, 'call:initiate', { calleeIds: [a.id], media: 'video' });
    expect(again.callId).not.toBe(callId);
    await ok(b.s, 'call:cancel', { callId: again.callId });
  });

  it('refuses offline, busy and already-in-call with the contract codes', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const c = await user('carol');
    expect(await request(a.s, 'call:initiate', { calleeIds: ['nobody-online'], media: 'audio' })).toMatchObject({ ok: false, error: { code: 'USER_OFFLINE' } });
    expect(await request(a.s, 'call:initiate', { calleeIds: [a.id], media: 'audio' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    const busy = await request(c.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    expect(busy).toMatchObject({ ok: false, error: { code: 'USER_BUSY', busyUserIds: [b.id] } });
    expect(await request(a.s, 'call:initiate', { calleeIds: [c.id], media: 'audio' })).toMatchObject({ ok: false, error: { code: 'ALREADY_IN_CALL' } });
    await ok(a.s, 'call:cancel', { callId });
  });

  it('cancel stops the ringing and logs cancelled', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const incoming = nextEvent(b.s, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'video' });
    await incoming;
    const cancelled = nextEvent<{ callId: string }>(b.s, 'call:cancelled');
    const ended = nextEvent<{ reason: string; durationSeconds: number }>(b.s, 'call:ended');
    expect(await request(b.s, 'call:cancel', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await ok(a.s, 'call:cancel', { callId });
    expect(await cancelled).toEqual({ callId });
    expect(await ended).toEqual({ callId, reason: 'cancelled', durationSeconds: 0 });
    expect((await callLog(callId)).call).toMatchObject({ status: 'ended', end_reason: 'cancelled', duration_seconds: 0 });
  });

  it('decline tells the caller and ends the call as declined', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    const declined = nextEvent<{ userId: string }>(a.s, 'call:declined');
    const ended = nextEvent<{ reason: string }>(a.s, 'call:ended');
    expect(await request(a.s, 'call:decline', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await ok(b.s, 'call:decline', { callId });
    expect((await declined).userId).toBe(b.id);
    expect((await ended).reason).toBe('declined');
    expect(liveCalls(t.app).callOf(a.id)).toBeUndefined();
  });

  it('one side leaving ends a 1:1 call for the other', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    await ok(a.s, 'call:join', { callId });
    await ok(b.s, 'call:join', { callId });
    const ended = nextEvent<{ reason: string }>(a.s, 'call:ended');
    await ok(b.s, 'call:leave', { callId });
    expect((await ended).reason).toBe('completed');
    expect(t.app.get(MediaService).counts(callId)).toBeUndefined();
  });

  it('POST /api/calls/:callId/end ends the call like call:end, and needs a token', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    await ok(a.s, 'call:join', { callId });
    await ok(b.s, 'call:join', { callId });
    const noAuth = await fetch(`${t.url}/api/calls/${callId}/end`, { method: 'POST' });
    expect(noAuth.status).toBe(401);
    const ended = nextEvent<{ reason: string }>(a.s, 'call:ended');
    const res = await fetch(`${t.url}/api/calls/${callId}/end`, { method: 'POST', headers: { authorization: `Bearer ${await devToken(t.url, b.id)}` } });
    expect(res.status).toBe(200);
    expect((await ended).reason).toBe('completed');
    expect(liveCalls(t.app).callOf(a.id)).toBeUndefined();
    expect(liveCalls(t.app).callOf(b.id)).toBeUndefined();
    const again = await fetch(`${t.url}/api/calls/${callId}/end`, { method: 'POST', headers: { authorization: `Bearer ${await devToken(t.url, b.id)}` } });
    expect(again.status).toBe(404);
  });

  it('a dropped socket gets its seat back within the grace, and loses it after', async () => {
    const a = await user('alice');
    const b = await user('bob');
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    await ok(a.s, 'call:join', { callId });
    await ok(b.s, 'call:join', { callId });

    const reconnecting = nextEvent<{ userId: string }>(a.s, 'call:participant-reconnecting');
    b.s.disconnect();
    expect((await reconnecting).userId).toBe(b.id);
    const b2 = await connectUser(t.url, b.id, 'bob');
    sockets.push(b2);
    const rejoin = await ok<{ participants: { userId: string; state: string }[] }>(b2, 'call:join', { callId });
    expect(rejoin.participants.find((p) => p.userId === b.id)?.state).toBe('joined');

    const ended = nextEvent<{ reason: string }>(a.s, 'call:ended', 5000);
    b2.disconnect();
    expect((await ended).reason).toBe('connection_lost');
    expect(liveCalls(t.app).callOf(a.id)).toBeUndefined();
  });
});

describe('group calls', () => {
  it('three people join; one leaves and the rest go on; only the host ends it for all', async () => {
    const host = await user('therapist');
    const b = await user('bob');
    const c = await user('carol');
    const { callId } = await ok<{ callId: string }>(host.s, 'call:initiate', { calleeIds: [b.id, c.id], media: 'video' });
    await ok(host.s, 'call:join', { callId });
    await ok(b.s, 'call:join', { callId });
    await ok(c.s, 'call:join', { callId });

    const left = nextEvent<{ userId: string; reason: string }>(host.s, 'call:participant-left');
    await ok(c.s, 'call:leave', { callId });
    expect(await left).toMatchObject({ callId, userId: c.id, reason: 'left' });
    expect(liveCalls(t.app).get(callId)?.status).toBe('active');

    const d = await user('dave');
    expect(await request(d.s, 'call:end', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(b.s, 'call:end', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const ended = nextEvent<{ reason: string }>(b.s, 'call:ended');
    await ok(host.s, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
    const log = await callLog(callId);
    expect(log.participants).toHaveLength(3);
    expect(log.participants.find((p: { user_id: string }) => p.user_id === c.id).leave_reason).toBe('left');
  });
});
});
