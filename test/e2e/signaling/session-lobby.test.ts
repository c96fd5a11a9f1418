/**
 * A session's waiting room, enforced by the server, and its host controls, clock and audit,
 * with real socket.io clients against the real gateway.
 */
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { devToken, nextEvent, ok, request, startTestApp, type TestApp, connectWithToken } from '../../support/app';
import { clientRtpCapabilities, opusRtpParameters } from './media-payloads';

describe('session waiting room and host controls', () => {
  let t: TestApp;
  const sockets: Socket[] = [];
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp({ LOBBY_TIMEOUT_SECONDS: '5', SESSION_WARNING_SECONDS: '2', RECONNECT_GRACE_SECONDS: '5' });
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

  /** A session, its host seated, and a way to bring guests in from the invite link. */
  async function session(opts: { startsAt?: Date; durationMinutes?: number } = {}) {
    const hostId = `host-${process.pid}-${++n}`;
    const hostToken = await devToken(t.url, hostId, 'Dr. Host', 'host');
    const res = await fetch(`${t.url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Group', startsAt: (opts.startsAt ?? new Date()).toISOString(), durationMinutes: opts.durationMinutes ?? 60, lobby: true, maxParticipants: 6 }),
    });
    const s = (await res.json()) as { sessionId: string; callId: string; inviteUrl: string };
    const invite = new URL(s.inviteUrl).searchParams.get('invite')!;
    const host = await connect(hostToken);
    const hostJoin = await ok<{ routerRtpCapabilities: unknown; endsAt: string }>(host, 'call:join', { callId: s.callId });
    expect(hostJoin.routerRtpCapabilities).toBeTruthy();
    /** A per-person invite (one exchange), as a host sends each client their own link. */
    const personalInvite = async (forUserId: string) =>
      ((await (await fetch(`${t.url}/api/sessions/${s.sessionId}/invites`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ forUserId }) })).json()) as { invite: string }).invite;
    const exchange = (name: string, with_ = invite) =>
      fetch(`${t.url}/api/sessions/${s.sessionId}/guest-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invite: with_, name }) });
    const guest = async (name: string, with_ = invite) => {
      const g = (await (await exchange(name, with_)).json()) as { token: string; userId: string };
      return { id: g.userId, token: g.token, s: await connect(g.token) };
    };
    const audit = async () =>
      ((await (await fetch(`${t.url}/api/sessions/${s.sessionId}/audit`, { headers: { authorization: `Bearer ${hostToken}` } })).json()) as { events: { subject: string; to: string; userId: string | null; actorId: string | null; reason: string | null }[] }).events;
    return { ...s, hostId, host, hostToken, guest, exchange, personalInvite, audit };
  }

  async function admitted(sess: Awaited<ReturnType<typeof session>>, name: string, invite?: string) {
    const g = await sess.guest(name, invite);
    const knock = nextEvent<{ userId: string }>(sess.host, 'lobby:knock');
    expect(await ok(g.s, 'call:join', { callId: sess.callId })).toEqual({ callId: sess.callId, state: 'waiting' });
    expect((await knock).userId).toBe(g.id);
    const admittedEvt = nextEvent(g.s, 'lobby:admitted');
    await ok(sess.host, 'lobby:admit', { callId: sess.callId, userId: g.id });
    await admittedEvt;
    const join = await ok<{ routerRtpCapabilities: unknown; participants: { userId: string; state: string }[] }>(g.s, 'call:join', { callId: sess.callId });
    expect(join.routerRtpCapabilities).toBeTruthy();
    return g;
  }

  it('holds a guest in the waiting room with no media until a host admits them', async () => {
    const sess = await session();
    const g = await sess.guest('Sam');
    const knock = nextEvent<{ userId: string; name: string }>(sess.host, 'lobby:knock');
    const waiting = await ok<Record<string, unknown>>(g.s, 'call:join', { callId: sess.callId });
    expect(waiting).toEqual({ callId: sess.callId, state: 'waiting' });
    expect(await knock).toEqual({ callId: sess.callId, userId: g.id, name: 'Sam' });
    for (const [event, payload] of [
      ['media:create-transport', { callId: sess.callId, direction: 'recv' }],
      ['stats:report', { callId: sess.callId, samples: [] }],
    ] as const) {
      expect(await request(g.s, event, payload)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    // Waiting again answers the same; nothing leaks.
    expect(await ok(g.s, 'call:join', { callId: sess.callId })).toEqual({ callId: sess.callId, state: 'waiting' });
    expect(t.app.get(MediaService).counts(sess.callId)).toMatchObject({ peers: 0 });

    const admittedEvt = nextEvent(g.s, 'lobby:admitted');
    await ok(sess.host, 'lobby:admit', { callId: sess.callId, userId: g.id });
    expect(await admittedEvt).toEqual({ callId: sess.callId });
    const joined = nextEvent<{ userId: string }>(sess.host, 'call:participant-joined');
    const seat = await ok<{ routerRtpCapabilities: { codecs: unknown[] }; participants: { userId: string; state: string }[] }>(g.s, 'call:join', { callId: sess.callId });
    expect(seat.routerRtpCapabilities.codecs.length).toBeGreaterThan(0);
    expect((await joined).userId).toBe(g.id);
    await ok(g.s, 'media:create-transport', { callId: sess.callId, direction: 'recv' });
    await ok(sess.host, 'call:end', { callId: sess.callId });
  });

  it('sends a participant back to the waiting room, closing their media for everyone', async () => {
    const sess = await session();
    const g = await admitted(sess, 'Ana');
    const send = await ok<{ transportId: string }>(g.s, 'media:create-transport', { callId: sess.callId, direction: 'send' });
    const announced = nextEvent<{ producerId: string }>(sess.host, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(g.s, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(5151) });
    await announced;
    const recv = await ok<{ transportId: string }>(sess.host, 'media:create-transport', { callId: sess.callId, direction: 'recv' });
    const consumer = await ok<{ consumerId: string }>(sess.host, 'media:consume', { transportId: recv.transportId, producerId, rtpCapabilities: clientRtpCapabilities });

    const sentBack = nextEvent(g.s, 'lobby:sent-back');
    const gone = nextEvent<{ consumerId: string }>(sess.host, 'media:consumer-closed');
    const knocksAgain = nextEvent<{ userId: string }>(sess.host, 'lobby:knock');
    const left = nextEvent<{ userId: string; reason: string }>(sess.host, 'call:participant-left');
    await ok(sess.host, 'lobby:send-back', { callId: sess.callId, userId: g.id });
    expect(await sentBack).toEqual({ callId: sess.callId });
    // One word for the act, on the wire and in the record.
    expect(await left).toMatchObject({ userId: g.id, reason: 'sent_to_lobby' });
    expect((await sess.audit()).some((e) => e.subject === 'participant' && e.userId === g.id && e.to === 'waiting' && e.reason === 'sent_to_lobby')).toBe(true);
    expect((await gone).consumerId).toBe(consumer.consumerId);
    expect((await knocksAgain).userId).toBe(g.id);
    expect(t.app.get(MediaService).producers(sess.callId)).toEqual([]);
    expect(await request(g.s, 'media:create-transport', { callId: sess.callId, direction: 'send' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ok(g.s, 'call:join', { callId: sess.callId })).toEqual({ callId: sess.callId, state: 'waiting' });
    await ok(sess.host, 'call:end', { callId: sess.callId });
  });

  it('removal sticks, denial sticks, a locked session takes nobody new, and only hosts control', async () => {
    const sess = await session();
    const boInvite = await sess.personalInvite('client-bo');
    const g = await admitted(sess, 'Bo', boInvite);
    for (const [event, payload] of [
      ['lobby:admit', { callId: sess.callId, userId: sess.hostId }],
      ['lobby:admit-all', { callId: sess.callId }],
      ['lobby:deny', { callId: sess.callId, userId: sess.hostId }],
      ['lobby:send-back', { callId: sess.callId, userId: sess.hostId }],
      ['host:mute', { callId: sess.callId, userId: sess.hostId, source: 'mic' }],
      ['host:remove', { callId: sess.callId, userId: sess.hostId }],
      ['host:lock', { callId: sess.callId, locked: true }],
      ['session:extend', { callId: sess.callId, minutes: 10 }],
      ['call:end', { callId: sess.callId }],
    ] as const) {
      expect({ event, res: await request(g.s, event, payload) }).toMatchObject({ event, res: { ok: false, error: { code: 'FORBIDDEN' } } });
    }

    // Host mutes the guest's mic: the server pauses it and tells them.
    const send = await ok<{ transportId: string }>(g.s, 'media:create-transport', { callId: sess.callId, direction: 'send' });
    await ok(g.s, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(6161) });
    const muted = nextEvent<{ source: string; byUserId: string }>(g.s, 'host:muted');
    expect(await ok(sess.host, 'host:mute', { callId: sess.callId, userId: g.id, source: 'mic' })).toEqual({ paused: 1 });
    expect(await muted).toEqual({ callId: sess.callId, source: 'mic', byUserId: sess.hostId });
    expect(t.app.get(MediaService).producers(sess.callId).map((p) => p.paused)).toEqual([true]);

    const removed = nextEvent(g.s, 'host:removed');
    await ok(sess.host, 'host:remove', { callId: sess.callId, userId: g.id });
    await removed;
    expect(await request(g.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Not as a new guest from the same invite either.
    expect((await sess.exchange('Bo again', boInvite)).status).toBe(401);

    const deeInvite = await sess.personalInvite('client-dee');
    const d = await sess.guest('Dee', deeInvite);
    await ok(d.s, 'call:join', { callId: sess.callId });
    const denied = nextEvent<{ reason: string }>(d.s, 'lobby:denied');
    await ok(sess.host, 'lobby:deny', { callId: sess.callId, userId: d.id });
    expect((await denied).reason).toBe('denied');
    expect(await request(d.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await sess.exchange('Dee again', deeInvite)).status).toBe(401);

    await ok(sess.host, 'host:lock', { callId: sess.callId, locked: true });
    const late = await sess.guest('Lee');
    expect(await request(late.s, 'call:join', { callId: sess.callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: 'The session is locked' } });
    await ok(sess.host, 'call:end', { callId: sess.callId });

    const trail = await sess.audit();
    const controls = trail.filter((e) => e.subject === 'control').map((e) => `${e.to}:${e.userId ?? ''}:${e.actorId}`);
    expect(controls).toEqual([`admit:${g.id}:${sess.hostId}`, `mute:${g.id}:${sess.hostId}`, `lock::${sess.hostId}`]);
    const exits = trail.filter((e) => e.subject === 'participant' && e.to === 'left').map((e) => `${e.userId}:${e.reason}:${e.actorId ?? ''}`);
    expect(exits).toEqual(expect.arrayContaining([`${g.id}:removed:${sess.hostId}`, `${d.id}:denied:${sess.hostId}`]));
    expect(trail.filter((e) => e.subject === 'call').map((e) => e.to)).toEqual(['active', 'ended']);
  });

  it('keeps an admitted seat across a reconnect, and times out a guest left waiting', async () => {
    const sess = await session();
    const g = await admitted(sess, 'Cy');
    g.s.disconnect();
    const again = await connect(g.token);
    const seat = await ok<{ routerRtpCapabilities?: unknown; state?: string }>(again, 'call:join', { callId: sess.callId });
    expect(seat.state).toBeUndefined();
    expect(seat.routerRtpCapabilities).toBeTruthy();

    const w = await sess.guest('Wes');
    await ok(w.s, 'call:join', { callId: sess.callId });
    const timeout = await nextEvent<{ reason: string }>(w.s, 'lobby:denied', 9000);
    expect(timeout.reason).toBe('timeout');
    await ok(sess.host, 'call:end', { callId: sess.callId });
  });

  it('warns before the end, lets a host extend, and ends the session with time_limit', async () => {
    // Started almost five minutes ago, five minutes long: about 5 s left; the warning comes at 2 s left.
    const sess = await session({ startsAt: new Date(Date.now() - 5 * 60_000 + 5000), durationMinutes: 5 });
    const warningToHost = nextEvent<{ secondsLeft: number }>(sess.host, 'session:time-warning', 8000);
    const g = await admitted(sess, 'Di');
    expect((await warningToHost).secondsLeft).toBe(2);
    const extended = nextEvent<{ endsAt: string }>(g.s, 'session:extended');
    const res = await ok<{ endsAt: string }>(sess.host, 'session:extend', { callId: sess.callId, minutes: 1 });
    expect((await extended).endsAt).toBe(res.endsAt);
    expect(new Date(res.endsAt).getTime() - Date.now()).toBeGreaterThan(55_000);

    // And a session that runs out ends for everyone with time_limit.
    const short = await session({ startsAt: new Date(Date.now() - 5 * 60_000 + 6000), durationMinutes: 5 });
    const h = await admitted(short, 'Ed');
    const ended = await nextEvent<{ reason: string }>(h.s, 'call:ended', 12_000);
    expect(ended.reason).toBe('time_limit');
    expect((await short.audit()).filter((e) => e.subject === 'call').map((e) => `${e.to}:${e.reason ?? ''}`)).toEqual(['active:', 'ended:time_limit']);
    expect((await sess.audit()).some((e) => e.subject === 'control' && e.to === 'extend' && e.reason === '+1m')).toBe(true);
    await ok(sess.host, 'call:end', { callId: sess.callId });
  });
});
