/**
 * Sessions keep their word at the trust boundary: invites are single-use when they are for one
 * person, revocable, tied to every guest join; cancelling and changing a session reach its live
 * call; nobody but a host opens it early; token kinds never pass for one another. Real gateway,
 * real PostgreSQL, real socket.io clients.
 */
import { createHmac } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { liveCalls, devToken, nextEvent, ok, request, startTestApp, type TestApp, connectWithToken } from '../../support/app';

describe('session invites and live session rules', () => {
  let t: TestApp;
  const sockets: Socket[] = [];
  let n = 0;
  const SECRET = 'session-invites-test-secret-0123456789abcdef';

  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: SECRET, SESSION_EARLY_JOIN_MINUTES: '10' });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  const connect = async (token: string) => {
    const s = await connectWithToken(t.url, token);
    sockets.push(s);
    return s;
  };
  const refusal = (token: string) =>
    new Promise<{ message: string; data?: { reason?: string } }>((resolve, reject) => {
      const s = io(t.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(s);
      s.once('connect', () => reject(new Error('connected with a token that must be refused')));
      s.once('connect_error', (err) => resolve(err as unknown as { message: string; data?: { reason?: string } }));
    });

  async function api<T>(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function session(opts: { startsAt?: Date; lobby?: boolean; coHost?: string; join?: boolean } = {}) {
    const hostId = `inv-host-${process.pid}-${++n}`;
    const hostToken = await devToken(t.url, hostId, 'Dr. Host', 'host');
    const hostIds = [hostId, ...(opts.coHost ? [opts.coHost] : [])];
    const created = await api<{ sessionId: string; callId: string; inviteUrl: string }>('POST', '/api/sessions', hostToken, {
      title: 'Group',
      hostIds,
      startsAt: (opts.startsAt ?? new Date()).toISOString(),
      durationMinutes: 60,
      lobby: opts.lobby ?? true,
      maxParticipants: 6,
    });
    expect(created.status).toBe(201);
    const s = created.body;
    const shared = new URL(s.inviteUrl).searchParams.get('invite')!;
    const host = await connect(hostToken);
    if (opts.join !== false) await ok(host, 'call:join', { callId: s.callId });
    const invite = async (forUserId?: string) => (await api<{ inviteId: string; invite: string }>('POST', `/api/sessions/${s.sessionId}/invites`, hostToken, forUserId ? { forUserId } : {})).body;
    const exchange = (invite: string, name: string) => api<{ token: string; userId: string; error?: { code: string; message: string } }>('POST', `/api/sessions/${s.sessionId}/guest-token`, null, { invite, name });
    const guest = async (invite: string, name: string) => {
      const r = await exchange(invite, name);
      expect(r.status).toBe(201);
      return { id: r.body.userId, token: r.body.token, s: await connect(r.body.token) };
    };
    const seat = async (g: { id: string; s: Socket }) => {
      const knock = nextEvent(host, 'lobby:knock');
      expect(await ok(g.s, 'call:join', { callId: s.callId })).toEqual({ callId: s.callId, state: 'waiting' });
      await knock;
      const admitted = nextEvent(g.s, 'lobby:admitted');
      await ok(host, 'lobby:admit', { callId: s.callId, userId: g.id });
      await admitted;
      expect(await ok<{ routerRtpCapabilities: unknown }>(g.s, 'call:join', { callId: s.callId })).toHaveProperty('routerRtpCapabilities');
    };
    return { ...s, hostId, hostToken, host, shared, invite, exchange, guest, seat };
  }

  it('takes one exchange of a per-person invite, and lists every invite with its state', async () => {
    const sess = await session();
    const mine = await sess.invite('client-ana');
    const first = await sess.exchange(mine.invite, 'Ana');
    expect(first.status).toBe(201);
    const second = await sess.exchange(mine.invite, 'Ana again');
    expect(second.status).toBe(401);
    expect(second.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'invite already used' });
    // A shared invite takes many.
    expect((await sess.exchange(sess.shared, 'One')).status).toBe(201);
    expect((await sess.exchange(sess.shared, 'Two')).status).toBe(201);

    const list = await api<{ inviteId: string; forUserId: string | null; state: string; usedAt: string | null }[]>('GET', `/api/sessions/${sess.sessionId}/invites`, sess.hostToken);
    expect(list.status).toBe(200);
    expect(list.body.find((i) => i.inviteId === mine.inviteId)).toMatchObject({ forUserId: 'client-ana', state: 'used' });
    expect(list.body.filter((i) => i.forUserId === null)).toEqual([expect.objectContaining({ state: 'active' })]);
    // Invites are the hosts' business only.
    const member = await devToken(t.url, `inv-member-${++n}`, 'M');
    expect((await api('GET', `/api/sessions/${sess.sessionId}/invites`, member)).status).toBe(404);
  });

  it('closes a shared link to new guests once someone who came with it is denied, and keeps those already holding it', async () => {
    const sess = await session();
    const early = await sess.guest(sess.shared, 'Early');
    const stranger = await sess.guest(sess.shared, 'Stranger');
    await ok(stranger.s, 'call:join', { callId: sess.callId });
    await ok(sess.host, 'lobby:deny', { callId: sess.callId, userId: stranger.id });
    // The stranger, or anyone, cannot get a new guest id from that link any more...
    const again = await sess.exchange(sess.shared, 'Stranger again');
    expect(again.status).toBe(401);
    expect(again.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'invite no longer admits new guests' });
    // ...nor come back with the token they had.
    expect(await request(stranger.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Whoever already exchanged it still gets in; a fresh invite works.
    await sess.seat(early);
    const fresh = await sess.invite();
    expect((await sess.exchange(fresh.invite, 'Late')).status).toBe(201);
  });

  it('revokes an invite: its seated guest leaves now and neither its token nor the link admit again', async () => {
    const sess = await session();
    const inv = await sess.invite('client-rev');
    const g = await sess.guest(inv.invite, 'Rev');
    await sess.seat(g);
    const removed = nextEvent(g.s, 'host:removed');
    const left = nextEvent<{ userId: string; reason: string }>(sess.host, 'call:participant-left');
    const revoked = await api<{ removed: number }>('DELETE', `/api/sessions/${sess.sessionId}/invites/${inv.inviteId}`, sess.hostToken);
    expect(revoked).toEqual({ status: 200, body: { removed: 1 } });
    await removed;
    expect(await left).toMatchObject({ userId: g.id, reason: 'removed' });
    expect(await request(g.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: 'Your invite was revoked' } });
    expect((await sess.exchange(inv.invite, 'Rev again')).status).toBe(401);
    const list = await api<{ inviteId: string; state: string }[]>('GET', `/api/sessions/${sess.sessionId}/invites`, sess.hostToken);
    expect(list.body.find((i) => i.inviteId === inv.inviteId)?.state).toBe('revoked');
    expect((await api('DELETE', `/api/sessions/${sess.sessionId}/invites/00000000-0000-4000-8000-000000000000`, sess.hostToken)).status).toBe(404);
    // Both revocations are audited with the host who did them.
    const audit = await api<{ entries: { action: string; actorId: string; target: string; outcome: string; detail: { removed?: number } | null }[] }>('GET', '/api/admin/audit?limit=200', await devToken(t.url, `inv-admin-${++n}`, 'Ops', 'admin'));
    const mine = audit.body.entries.filter((e) => e.action === 'invite.revoke' && e.actorId === sess.hostId);
    expect(mine.map((e) => [e.target, e.outcome])).toEqual([['00000000-0000-4000-8000-000000000000', 'failed'], [inv.inviteId, 'ok']]);
    expect(mine[1].detail?.removed).toBe(1);
  });

  it('ends a live session for everyone when it is cancelled, and admits nobody after', async () => {
    const sess = await session();
    const g = await sess.guest(sess.shared, 'Cat');
    await sess.seat(g);
    const ended = [nextEvent<{ reason: string }>(sess.host, 'call:ended'), nextEvent<{ reason: string }>(g.s, 'call:ended')];
    expect((await api('POST', `/api/sessions/${sess.sessionId}/cancel`, sess.hostToken)).status).toBe(200);
    expect((await Promise.all(ended)).map((e) => e.reason)).toEqual(['cancelled', 'cancelled']);
    expect(liveCalls(t.app).get(sess.callId)).toBeUndefined();
    expect(await request(g.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false });
    const after = await sess.exchange(sess.shared, 'After');
    expect([after.status, after.body.error?.code]).toEqual([409, 'INVALID_STATE']);
    const row = await api<{ status: string }>('GET', `/api/sessions/${sess.sessionId}`, sess.hostToken);
    expect(row.body.status).toBe('cancelled');
  });

  it('applies a PATCH to the live session at once: co-host powers, lock, waiting room and clock', async () => {
    const coHostId = `inv-cohost-${process.pid}-${++n}`;
    const sess = await session({ coHost: coHostId });
    const coHost = await connect(await devToken(t.url, coHostId, 'Co Host', 'host'));
    await ok(coHost, 'call:join', { callId: sess.callId });
    await ok(coHost, 'host:lock', { callId: sess.callId, locked: false });

    const waiting = await sess.guest(sess.shared, 'Wai');
    expect(await ok(waiting.s, 'call:join', { callId: sess.callId })).toMatchObject({ state: 'waiting' });

    const admitted = nextEvent(waiting.s, 'lobby:admitted');
    const extended = nextEvent<{ endsAt: string }>(coHost, 'session:extended');
    const patched = await api<{ endsAt: string }>('PATCH', `/api/sessions/${sess.sessionId}`, sess.hostToken, { hostIds: [sess.hostId], lobby: false, durationMinutes: 90 });
    expect(patched.status).toBe(200);
    // Taken off the host list: no host powers from now on, though still seated.
    expect(await request(coHost, 'host:lock', { callId: sess.callId, locked: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The waiting room is off: whoever waited is in.
    await admitted;
    expect(await ok(waiting.s, 'call:join', { callId: sess.callId })).toHaveProperty('routerRtpCapabilities');
    // The new end reached the live clock and the people in the call.
    expect((await extended).endsAt).toBe(new Date(patched.body.endsAt).toISOString());
    expect(liveCalls(t.app).get(sess.callId)?.controls?.endsAt.toISOString()).toBe(new Date(patched.body.endsAt).toISOString());
  });

  it('lets only a host open a session before its start window, and a session weeks ahead does not end at once', async () => {
    const inTwoHours = new Date(Date.now() + 2 * 3600_000);
    const sess = await session({ startsAt: inTwoHours, join: false });
    const g = await sess.guest(sess.shared, 'Eager');
    const early = await request(g.s, 'call:join', { callId: sess.callId });
    expect(early).toMatchObject({ ok: false, error: { code: 'INVALID_STATE', message: 'The session has not started yet' } });
    expect(liveCalls(t.app).get(sess.callId)).toBeUndefined();
    // The host may open early; guests still wait for the window.
    await ok(sess.host, 'call:join', { callId: sess.callId });
    expect(await request(g.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'INVALID_STATE' } });

    // 40 days ahead: beyond setTimeout's 2^31 ms, which would fire at once and end it as time_limit.
    const later = await session({ startsAt: new Date(Date.now() + 40 * 86_400_000), join: false });
    await ok(later.host, 'call:join', { callId: later.callId });
    await new Promise((r) => setTimeout(r, 500));
    expect(liveCalls(t.app).get(later.callId)?.status).toBe('active');
  });

  it('shows a session in the history only to those admitted and to its hosts, and never who was turned away', async () => {
    const sess = await session();
    const admittedGuest = await sess.guest(sess.shared, 'In');
    await sess.seat(admittedGuest);
    const knocker = await sess.guest((await sess.invite('client-knock')).invite, 'Knock');
    await ok(knocker.s, 'call:join', { callId: sess.callId });
    await ok(sess.host, 'lobby:deny', { callId: sess.callId, userId: knocker.id });
    await ok(sess.host, 'call:end', { callId: sess.callId });

    type Entry = { callId: string; participants: { userId: string }[]; events: { userId: string | null }[] };
    // Turned away: the call does not exist for them, in the list or by id.
    const theirs = await api<Entry[]>('GET', '/api/calls/history', knocker.token);
    expect(theirs.body.map((c) => c.callId)).not.toContain(sess.callId);
    expect((await api('GET', `/api/calls/${sess.callId}`, knocker.token)).status).toBe(404);
    // Admitted: the roster and events of those let in, without the knocker.
    const seen = await api<Entry>('GET', `/api/calls/${sess.callId}`, admittedGuest.token);
    expect(seen.status).toBe(200);
    expect(seen.body.participants.map((p) => p.userId).sort()).toEqual([admittedGuest.id, sess.hostId].sort());
    expect(seen.body.events.some((e) => e.userId === knocker.id)).toBe(false);
    const listed = await api<Entry[]>('GET', '/api/calls/history', admittedGuest.token);
    expect(listed.body.find((c) => c.callId === sess.callId)?.participants.map((p) => p.userId)).not.toContain(knocker.id);
    // The host sees who knocked.
    const hostView = await api<Entry>('GET', `/api/calls/${sess.callId}`, sess.hostToken);
    expect(hostView.body.participants.map((p) => p.userId)).toContain(knocker.id);
    expect(hostView.body.events.some((e) => e.userId === knocker.id)).toBe(true);
  });

  it('normalises display names before anyone sees them, and refuses one with nothing visible left', async () => {
    const sess = await session();
    const g = await sess.guest(sess.shared, '  \u202EEve\u200B  the\tGuest ');
    const knock = nextEvent<{ userId: string; name: string }>(sess.host, 'lobby:knock');
    await ok(g.s, 'call:join', { callId: sess.callId });
    expect(await knock).toEqual({ callId: sess.callId, userId: g.id, name: 'Eve the Guest' });
    const blank = await sess.exchange(sess.shared, '\u200B\u202E ');
    expect([blank.status, blank.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('never takes one kind of token for another', async () => {
    const sess = await session();
    const inv = await sess.invite();
    // An invite is not a sign-in token.
    expect((await refusal(inv.invite)).data?.reason).toBe('claims_invalid');
    // A "guest token" signed with the identity key (JWT_SECRET) is refused: guest tokens have their own key.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ typ: 'guest', sub: 'guest-x', name: 'X', role: 'member', sid: sess.sessionId, cid: sess.callId, iid: inv.inviteId, v: 1, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const signed = `${forged}.${createHmac('sha256', SECRET).update(forged).digest('base64url')}`;
    expect((await refusal(signed)).data?.reason).toBe('signature_invalid');
    // A guest token is not an invite.
    const g = await sess.exchange(inv.invite, 'Gus');
    expect((await sess.exchange(g.body.token, 'Gus twice')).status).toBe(401);
    // An identity token with session claims is a plain member, not a guest of that session.
    const plain = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'member-with-claims', name: 'M', role: 'member', sid: sess.sessionId, cid: sess.callId, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const member = await connect(`${plain}.${createHmac('sha256', SECRET).update(plain).digest('base64url')}`);
    const me = await api<{ sessionId?: string }>('GET', '/api/me', `${plain}.${createHmac('sha256', SECRET).update(plain).digest('base64url')}`);
    expect(me.body.sessionId).toBeUndefined();
    member.disconnect();
  });
});
