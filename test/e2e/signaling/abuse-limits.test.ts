/**
 * Abuse is limited while well-behaved users go on: floods of events, call setup and ring-and-
 * cancel loops, connection attempts, sockets per user, invite guessing, the dev token route,
 * media objects per participant and the waiting room. Limits are counted in Redis, so they hold
 * across gateways. Real gateways, real Redis, real socket.io clients.
 */
import { io, type Socket } from 'socket.io-client';
import { connectUser, connectWithToken, devToken, nextEvent, ok, request, startTestApp, type AckResult, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('abuse limits', () => {
  let t: TestApp;
  const sockets: Socket[] = [];
  let n = 0;
  const u = (name: string) => `al-${process.pid}-${++n}-${name}`;

  beforeAll(async () => {
    t = await startTestApp({
      REDIS_URL,
      REDIS_PREFIX: `hearth-al-${process.pid}:`,
      RATE_SOCKET_EVENTS: '50/10s',
      RATE_CALL_SETUP: '5/10s',
      RATE_CALL_REPEAT: '3/1m',
      RATE_GUEST_EXCHANGE: '5/1m',
      RATE_DEV_TOKEN: '3/1m',
      MAX_SOCKETS_PER_USER: '2',
      MAX_TRANSPORTS_PER_PEER: '2',
      LOBBY_MAX_WAITING: '1',
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });
  const connect = async (id: string, role?: string) => {
    const s = await connectUser(t.url, id, id, role);
    sockets.push(s);
    return s;
  };
  const limited = (r: AckResult) => !r.ok && r.error.code === 'RATE_LIMITED';

  it('limits a flood from one socket with retryAfterMs, while another user places and answers a call, and drops a socket that keeps on', async () => {
    const flooder = await connect(u('flood'));
    const [aliceId, bobId] = [u('alice'), u('bob')];
    const [alice, bob] = [await connect(aliceId), await connect(bobId)];
    const flood = Promise.all(Array.from({ length: 100 }, () => request(flooder, 'presence:list', {})));
    // The well-behaved pair places and answers a whole call during the flood.
    const ring = nextEvent<{ callId: string }>(bob, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(alice, 'call:initiate', { calleeIds: [bobId], media: 'audio' });
    expect((await ring).callId).toBe(callId);
    expect(await ok(bob, 'call:join', { callId })).toHaveProperty('routerRtpCapabilities');
    await ok(alice, 'call:end', { callId });

    const results = await flood;
    expect(results.filter((r) => r.ok).length).toBe(50);
    const refused = results.filter(limited) as Extract<AckResult, { ok: false }>[];
    expect(refused.length).toBe(50);
    expect(refused[0].error.retryAfterMs).toBeGreaterThan(0);
    expect(refused[0].error.retryAfterMs).toBeLessThanOrEqual(10_000);
    // Refused as often as it is allowed, and still sending: a flood, not a client waiting. Dropped.
    expect(flooder.connected).toBe(true);
    const dropped = new Promise<string>((resolve) => flooder.once('disconnect', (reason) => resolve(reason)));
    for (let i = 0; i < 10; i++) flooder.emit('presence:list', {}, () => undefined);
    expect(await dropped).toBe('io server disconnect');
    // The others are still connected and served.
    expect(await ok(alice, 'presence:list', {})).toHaveProperty('users');
  });

  it('limits call setup per user, and ring-and-cancel loops to the same people', async () => {
    const caller = await connect(u('caller'));
    const victims = [u('v1'), u('v2')];
    for (const v of victims) await connect(v);
    // Ring-and-cancel to the same callee: the 4th initiate within the minute is refused.
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await request<{ callId: string }>(caller, 'call:initiate', { calleeIds: [victims[0]], media: 'audio' });
      outcomes.push(r.ok ? 'ok' : r.error.code);
      if (r.ok) await ok(caller, 'call:cancel', { callId: r.data.callId });
    }
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    // Call setup as a whole: 5 per 10 s (4 used above, 1 left), whoever is called.
    const next = await request<{ callId: string }>(caller, 'call:initiate', { calleeIds: [victims[1]], media: 'audio' });
    expect(next.ok).toBe(true);
    if (next.ok) await ok(caller, 'call:cancel', { callId: next.data.callId });
    expect(limited(await request(caller, 'call:initiate', { calleeIds: [victims[1]], media: 'audio' }))).toBe(true);
    // Garbage is not call setup: still answered VALIDATION_FAILED, not counted as a call.
    expect(await request(caller, 'call:join', { callId: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('never keeps someone out of their own session by ringing them', async () => {
    const pest = await connect(u('pest'));
    const hostId = u('host');
    const host = await connect(hostId, 'host');
    const created = (await (await fetch(`${t.url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await devToken(t.url, hostId, 'H', 'host')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Mine', startsAt: new Date().toISOString(), durationMinutes: 30 }),
    })).json()) as { callId: string };
    const ringing = nextEvent<{ callId: string }>(host, 'call:incoming');
    const { callId: pestCall } = await ok<{ callId: string }>(pest, 'call:initiate', { calleeIds: [hostId], media: 'audio' });
    await ringing;
    const declined = nextEvent<{ callId: string; userId: string }>(pest, 'call:declined');
    expect(await ok(host, 'call:join', { callId: created.callId })).toHaveProperty('routerRtpCapabilities');
    expect(await declined).toEqual({ callId: pestCall, userId: hostId });
  });

  it('refuses a third connection of one user, naming why', async () => {
    const id = u('many');
    await connect(id);
    await connect(id);
    const third = io(t.url, { auth: { token: await devToken(t.url, id) }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(third);
    const err = await new Promise<Error & { data?: { reason?: string } }>((resolve) => third.once('connect_error', resolve));
    expect(err.message).toBe('RATE_LIMITED');
    expect(err.data?.reason).toBe('too_many_sockets');
  });

  it('caps transports per participant and the waiting room', async () => {
    const a = await connect(u('cap-a'));
    const bId = u('cap-b');
    const b = await connect(bId);
    const ring = nextEvent<{ callId: string }>(b, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [bId], media: 'video' });
    await ring;
    await ok(b, 'call:join', { callId });
    await ok(a, 'call:join', { callId });
    await ok(a, 'media:create-transport', { callId, direction: 'send' });
    await ok(a, 'media:create-transport', { callId, direction: 'recv' });
    expect(await request(a, 'media:create-transport', { callId, direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: 'at most 2 transports per participant' } });
    await ok(a, 'call:end', { callId });

    const hostId = u('lobby-host');
    const hostToken = await devToken(t.url, hostId, 'H', 'host');
    const s = (await (await fetch(`${t.url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Full', startsAt: new Date().toISOString(), durationMinutes: 30 }),
    })).json()) as { sessionId: string; callId: string; inviteUrl: string };
    const invite = new URL(s.inviteUrl).searchParams.get('invite');
    const guests: Socket[] = [];
    for (const name of ['One', 'Two']) {
      const g = (await (await fetch(`${t.url}/api/sessions/${s.sessionId}/guest-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invite, name }) })).json()) as { token: string };
      const gs = await connectWithToken(t.url, g.token);
      sockets.push(gs);
      guests.push(gs);
    }
    const host = await connect(hostId, 'host');
    await ok(host, 'call:join', { callId: s.callId });
    expect(await ok(guests[0], 'call:join', { callId: s.callId })).toMatchObject({ state: 'waiting' });
    expect(await request(guests[1], 'call:join', { callId: s.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: 'The waiting room is full' } });
  });
  // Last: it uses up this address's refused exchanges for the minute.
  it('answers 429 with Retry-After to invite guessing and to the dev token route', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${t.url}/api/sessions/00000000-0000-4000-8000-000000000000/guest-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invite: `guess-${i}-xxxxxxxxxxxxxxxx`, name: 'G' }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);

    const dev = [];
    for (let i = 0; i < 4; i++) dev.push((await fetch(`${t.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: `dev-${i}`, name: 'Dev' }) })).status);
    expect(dev).toEqual([201, 201, 201, 429]);
  });
});

describe('abuse limits across gateways', () => {
  it('counts a user\'s connection attempts on one Redis, whichever gateway they reach', async () => {
    const prefix = `hearth-alx-${process.pid}:`;
    const env = { REDIS_URL, REDIS_PREFIX: prefix, RATE_CONNECT_USER: '3/1m' };
    const [g1, g2] = [await startTestApp(env), await startTestApp(env)];
    const opened: Socket[] = [];
    try {
      const id = `alx-${process.pid}`;
      const attempt = (url: string) =>
        new Promise<string>(async (resolve) => {
          const s = io(url, { auth: { token: await devToken(url, id) }, transports: ['websocket'], reconnection: false, forceNew: true });
          opened.push(s);
          s.once('connect', () => (s.disconnect(), resolve('ok')));
          s.once('connect_error', (e) => resolve(e.message));
        });
      const results = [await attempt(g1.url), await attempt(g2.url), await attempt(g1.url), await attempt(g2.url)];
      expect(results).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    } finally {
      for (const s of opened) s.close();
      await g1.close();
      await g2.close();
    }
  });
});

describe('abuse limits on REST per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_HTTP_IP: '5/1m' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past RATE_HTTP_IP, and still serves the pages and health checks', async () => {
    const token = await devToken(t.url, `al-http-${process.pid}`);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // The client's own files and the health checks are not REST calls: a clinic behind one NAT still loads the page.
    for (const path of ['/', '/admin.html', '/health/live']) expect((await fetch(`${t.url}${path}`)).status).toBe(200);
  });
});
