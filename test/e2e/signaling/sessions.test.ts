/**
 * Scheduled group sessions: REST scheduling, signed expiring invite links, guest identities
 * limited to their session. (Waiting room and host controls build on this.)
 */
import { Client } from 'pg';
import { io } from 'socket.io-client';
import { devToken, request, startTestApp, TEST_DATABASE_URL, type TestApp } from '../../support/app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduled sessions and invite links', () => {
  let t: TestApp;
  let db: Client;
  let host: string;
  const hostId = `therapist-${process.pid}`;

  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
  };
  const schedule = (overrides: Record<string, unknown> = {}) =>
    api('POST', '/api/sessions', host, { title: 'Tuesday group', startsAt: new Date(Date.now() + 60_000).toISOString(), durationMinutes: 60, lobby: true, maxParticipants: 8, ...overrides });
  const inviteOf = (url: string) => new URL(url).searchParams.get('invite')!;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://care.example.org' });
    host = await devToken(t.url, hostId, 'Dr. Host', 'host');
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('lets hosts (not members) schedule, list, read, update and cancel', async () => {
    const member = await devToken(t.url, `client-${process.pid}`, 'Client');
    expect((await api('POST', '/api/sessions', member, { title: 'x', startsAt: new Date().toISOString(), durationMinutes: 30 })).status).toBe(403);
    expect((await schedule({ durationMinutes: 2 })).status).toBe(400);

    const created = await schedule();
    expect(created.status).toBe(201);
    const s = created.body;
    expect(s).toEqual(expect.objectContaining({ sessionId: expect.any(String), callId: expect.any(String), hostIds: [hostId], lobby: true, status: 'scheduled' }));
    expect(s.inviteUrl).toMatch(new RegExp(`^https://care\\.example\\.org/\\?session=${s.sessionId}&invite=`));
    const call = await db.query('SELECT kind, status, initiator_id FROM call_sessions WHERE id = $1', [s.callId]);
    expect(call.rows[0]).toEqual({ kind: 'session', status: 'initiated', initiator_id: hostId });

    expect((await api('GET', '/api/sessions', host)).body.map((x: { sessionId: string }) => x.sessionId)).toContain(s.sessionId);
    expect((await api('GET', `/api/sessions/${s.sessionId}`, member)).status).toBe(404);
    const patched = await api('PATCH', `/api/sessions/${s.sessionId}`, host, { title: 'Tuesday group (moved)', locked: true });
    expect(patched.body).toMatchObject({ title: 'Tuesday group (moved)', locked: true });
    expect((await api('POST', `/api/sessions/${s.sessionId}/cancel`, member)).status).toBe(404);
    expect((await api('POST', `/api/sessions/${s.sessionId}/cancel`, host)).status).toBe(200);
    expect((await api('GET', `/api/sessions/${s.sessionId}`, host)).body.status).toBe('cancelled');
    const ended = await db.query('SELECT status, end_reason FROM call_sessions WHERE id = $1', [s.callId]);
    expect(ended.rows[0]).toEqual({ status: 'ended', end_reason: 'cancelled' });
    expect((await api('POST', `/api/sessions/${s.sessionId}/cancel`, host)).status).toBe(409);
  });

  it('exchanges a valid invite for a guest token limited to that session, and persists the guest', async () => {
    const s = (await schedule()).body;
    const res = await api('POST', `/api/sessions/${s.sessionId}/guest-token`, undefined, { invite: inviteOf(s.inviteUrl), name: 'Sam' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ token: expect.any(String), userId: expect.stringMatching(/^guest-/), callId: s.callId });
    const guest = await db.query('SELECT session_id, name FROM session_guests WHERE id = $1', [res.body.userId]);
    expect(guest.rows[0]).toEqual({ session_id: s.sessionId, name: 'Sam' });

    // The guest connects, but can only reach that session.
    const sock = io(t.url, { auth: { token: res.body.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => (sock.once('connect', () => resolve()), sock.once('connect_error', reject)));
    expect(await request(sock, 'call:initiate', { calleeIds: [hostId], media: 'video' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(sock, 'call:join', { callId: '00000000-0000-4000-8000-000000000001' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(sock, 'presence:list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    sock.disconnect();
  });

  it('refuses tampered, expired, revoked, foreign and cancelled-session invites', async () => {
    const s = (await schedule()).body;
    const invite = inviteOf(s.inviteUrl);
    const exchange = (sessionId: string, inv: string) => api('POST', `/api/sessions/${sessionId}/guest-token`, undefined, { invite: inv, name: 'Eve' });

    const [h, p, sig] = invite.split('.');
    const forged = JSON.parse(Buffer.from(p, 'base64url').toString());
    forged.sid = '00000000-0000-4000-8000-000000000002';
    expect((await exchange(s.sessionId, `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`)).body.error.code).toBe('UNAUTHORIZED');
    expect((await exchange(s.sessionId, `${invite.slice(0, -2)}xx`)).status).toBe(401);

    const other = (await schedule()).body;
    expect((await exchange(other.sessionId, invite)).status).toBe(401);

    const short = await api('POST', `/api/sessions/${s.sessionId}/invites`, host, { forUserId: 'client-7', expiresInSeconds: 1 });
    expect(short.status).toBe(201);
    await sleep(2100);
    const expired = await exchange(s.sessionId, short.body.invite);
    expect(expired.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'invite expired' });

    // An invite is not a login token.
    const asToken = io(t.url, { auth: { token: invite }, transports: ['websocket'], reconnection: false, forceNew: true });
    expect((await new Promise<Error>((r) => asToken.once('connect_error', r))).message).toBe('UNAUTHORIZED');
    asToken.close();

    await api('POST', `/api/sessions/${s.sessionId}/cancel`, host);
    expect((await exchange(s.sessionId, invite)).status).toBe(409);
  });
});
