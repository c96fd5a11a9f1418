/**
 * What the server logs at its default level (info) while people use it: a whole 1:1 call with
 * media, a reconnect and REST reads, and a group session with guests admitted and denied from
 * invite links. The built server runs as its own process so every byte it writes to stdout and
 * stderr is captured (pino, Nest, anything else), from just after start-up (which may name its
 * own listen address) to its exit. None of it may carry a display name, a token (identity,
 * invite or guest, whole or its signature), SDP/ICE/DTLS material, or a client's IP address.
 */
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { ensureTestDatabase, nextEvent, ok, request, TEST_DATABASE_URL } from '../../support/app';
import { startServerProcess, type ServerProcess } from '../../support/server-process';
import { clientRtpCapabilities, opusRtpParameters } from '../signaling/media-payloads';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Distinctive, so a hit can only be a leak.
const NAMES = {
  caller: 'Zephyrine Quillfeather',
  callee: 'Bartholomew Xylander',
  host: 'Octavia Penhallow',
  guest: 'Percival Moonwhistle',
  deniedGuest: 'Wilhelmina Stormcrag',
};
const CLIENT_FINGERPRINT = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
const SSRC = 734_211_923;
const CLIENT_IPS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
const SDP_FRAGMENTS = ['a=fingerprint', 'ice-ufrag', 'ice-pwd', 'a=candidate', 'a=ssrc', 'a=setup', 'usernameFragment'];

type TransportInfo = { transportId: string; iceParameters: { usernameFragment: string; password: string }; dtlsParameters: { fingerprints: { value: string }[] } };

describe('log privacy at the default log level', () => {
  const prefix = `hearth-logs-${process.pid}:`;
  let server: ServerProcess;
  let from = 0;
  const sockets: Socket[] = [];
  /** Every string that must never reach the logs, with what it is. */
  const secrets = new Map<string, string>();
  const secret = (what: string, value: string) => {
    if (value) secrets.set(value, what);
  };
  const token = (what: string, jwt: string) => {
    secret(what, jwt);
    secret(`${what} (signature)`, jwt.split('.')[2] ?? '');
  };

  const api = async <T = Record<string, unknown>>(method: string, path: string, bearer?: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  };
  const identity = async (userId: string, name: string, role?: string) => {
    const t = (await api<{ token: string }>('POST', '/api/dev/token', undefined, { userId, name, ...(role ? { role } : {}) })).body.token;
    token(`identity token of ${userId}`, t);
    return t;
  };
  const connect = async (t: string) => {
    const s = io(server.url, { auth: { token: t }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    return s;
  };
  const transport = async (s: Socket, callId: string, direction: 'send' | 'recv') => {
    const t = await ok<TransportInfo>(s, 'media:create-transport', { callId, direction });
    secret('ICE username fragment', t.iceParameters.usernameFragment);
    secret('ICE password', t.iceParameters.password);
    for (const f of t.dtlsParameters.fingerprints) secret('server DTLS fingerprint', f.value);
    await ok(s, 'media:connect-transport', { transportId: t.transportId, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: CLIENT_FINGERPRINT }] } });
    return t.transportId;
  };

  beforeAll(async () => {
    await ensureTestDatabase();
    for (const [what, name] of Object.entries(NAMES)) secret(`display name (${what})`, name);
    secret('client DTLS fingerprint', CLIENT_FINGERPRINT);
    secret('RTCP cname', `cname-${SSRC}`);
    // LOG_LEVEL as the server defaults it (unset means info).
    server = await startServerProcess({ DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, REDIS_PREFIX: prefix, MEDIASOUP_NUM_WORKERS: '1', LOG_LEVEL: '' });
    // Start-up lines (buffered until the app is up, some after "listening on") may still be on their way.
    for (let i = 0; i < 50 && !server.output().includes('Nest application successfully started'); i++) await sleep(100);
    await sleep(300);
    from = server.output().length;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('logs no names, tokens, SDP/ICE/DTLS or client addresses through a 1:1 call and a group session with guests', async () => {
    // ---- a whole 1:1 call
    const callerId = `caller-${process.pid}`;
    const calleeId = `callee-${process.pid}`;
    const callerToken = await identity(callerId, NAMES.caller);
    const calleeToken = await identity(calleeId, NAMES.callee);
    const a = await connect(callerToken);
    let b = await connect(calleeToken);
    const incoming = nextEvent(b, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [calleeId], media: 'audio' });
    await incoming;
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    const send = await transport(a, callId, 'send');
    const announced = nextEvent(b, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(a, 'media:produce', { transportId: send, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(SSRC) });
    await announced;
    const recv = await transport(b, callId, 'recv');
    const { consumerId } = await ok<{ consumerId: string }>(b, 'media:consume', { transportId: recv, producerId, rtpCapabilities: clientRtpCapabilities });
    await ok(b, 'media:resume-consumer', { consumerId });
    await ok(a, 'stats:report', { callId, samples: [{ kind: 'audio', direction: 'outbound', packetsLost: 0, fractionLost: 0, jitter: 0.004, roundTripTime: 0.03, bitrateKbps: 32 }] });
    await ok(a, 'media:pause-producer', { producerId });
    await ok(a, 'media:resume-producer', { producerId });
    const restarted = await ok<{ iceParameters: { usernameFragment: string; password: string } }>(a, 'media:restart-ice', { transportId: send });
    secret('ICE username fragment (restart)', restarted.iceParameters.usernameFragment);
    secret('ICE password (restart)', restarted.iceParameters.password);
    // Malformed payloads carrying secrets are refused without echoing them.
    expect(await request(a, 'media:connect-transport', { transportId: send, dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: CLIENT_FINGERPRINT }] } })).toMatchObject({ ok: false });
    expect(await request(a, 'call:initiate', { calleeIds: [NAMES.callee], media: 'hologram' })).toMatchObject({ ok: false });
    // The callee drops and comes back within the grace.
    b.disconnect();
    await sleep(300);
    b = await connect(calleeToken);
    await ok(b, 'call:join', { callId });
    const ended = nextEvent(b, 'call:ended');
    await ok(a, 'call:end', { callId });
    await ended;
    expect((await api('GET', `/api/calls/${callId}`, callerToken)).status).toBe(200);
    expect((await api('GET', '/api/calls/history?limit=5', calleeToken)).status).toBe(200);
    expect((await api('GET', '/api/me', callerToken)).status).toBe(200);
    // Refused tokens: a tampered one over REST and over socket.io.
    const tampered = `${callerToken.slice(0, -6)}AAAAAA`;
    token('tampered identity token', tampered);
    expect((await api('GET', '/api/me', tampered)).status).toBe(401);
    const refused = io(server.url, { auth: { token: tampered }, transports: ['websocket'], reconnection: false, forceNew: true });
    expect((await new Promise<Error>((r) => refused.once('connect_error', r))).message).toBe('UNAUTHORIZED');
    refused.close();

    // ---- a group session with a waiting room and guests from invite links
    const hostToken = await identity(`host-${process.pid}`, NAMES.host, 'host');
    const scheduled = await api<{ sessionId: string; callId: string; inviteUrl: string }>('POST', '/api/sessions', hostToken, {
      title: 'Thursday group',
      startsAt: new Date().toISOString(),
      durationMinutes: 30,
      lobby: true,
      maxParticipants: 6,
    });
    expect(scheduled.status).toBe(201);
    const s = scheduled.body;
    const sharedInvite = new URL(s.inviteUrl).searchParams.get('invite')!;
    token('shared invite', sharedInvite);
    secret('invite link', s.inviteUrl);
    const personal = await api<{ invite: string; inviteUrl: string }>('POST', `/api/sessions/${s.sessionId}/invites`, hostToken, { forUserId: `client-${process.pid}` });
    expect(personal.status).toBe(201);
    token('personal invite', personal.body.invite);
    secret('personal invite link', personal.body.inviteUrl);
    const guestToken = async (invite: string, name: string) => {
      const r = await api<{ token: string; userId: string }>('POST', `/api/sessions/${s.sessionId}/guest-token`, undefined, { invite, name });
      expect(r.status).toBe(201);
      token(`guest token of ${r.body.userId}`, r.body.token);
      return r.body;
    };

    const host = await connect(hostToken);
    await ok(host, 'call:join', { callId: s.callId });
    const g1 = await guestToken(sharedInvite, NAMES.guest);
    const guest = await connect(g1.token);
    const knock = nextEvent<{ userId: string }>(host, 'lobby:knock');
    expect(await ok(guest, 'call:join', { callId: s.callId })).toEqual({ callId: s.callId, state: 'waiting' });
    expect((await knock).userId).toBe(g1.userId);
    const admitted = nextEvent(guest, 'lobby:admitted');
    await ok(host, 'lobby:admit', { callId: s.callId, userId: g1.userId });
    await admitted;
    await ok(guest, 'call:join', { callId: s.callId });
    const guestSend = await transport(guest, s.callId, 'send');
    await ok(guest, 'media:produce', { transportId: guestSend, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(SSRC + 1) });
    await ok(host, 'host:mute', { callId: s.callId, userId: g1.userId, source: 'mic' });

    const g2 = await guestToken(personal.body.invite, NAMES.deniedGuest);
    const denied = await connect(g2.token);
    const knock2 = nextEvent<{ userId: string }>(host, 'lobby:knock');
    await ok(denied, 'call:join', { callId: s.callId });
    await knock2;
    const deniedEvt = nextEvent(denied, 'lobby:denied');
    await ok(host, 'lobby:deny', { callId: s.callId, userId: g2.userId });
    await deniedEvt;
    expect((await api('POST', `/api/sessions/${s.sessionId}/guest-token`, undefined, { invite: `${sharedInvite}x`, name: NAMES.deniedGuest })).status).toBe(401);

    const sessionEnded = nextEvent(guest, 'call:ended');
    await ok(host, 'call:end', { callId: s.callId });
    await sessionEnded;
    expect((await api('GET', `/api/sessions/${s.sessionId}/audit`, hostToken)).status).toBe(200);

    for (const sock of sockets) sock.disconnect();
    await sleep(300);
    expect(await server.stop()).toBe(0);

    // ---- what was logged
    const logged = server.output().slice(from);
    // The capture is real: the server did log at info while this ran (a test that cannot fail is worse than none).
    expect(logged).toMatch(/"level":30/);
    expect(logged).toContain(s.callId);

    const around = (i: number) => logged.slice(Math.max(0, logged.lastIndexOf('\n', i) + 1), logged.indexOf('\n', i) === -1 ? undefined : logged.indexOf('\n', i)).slice(0, 400);
    const leaks: { what: string; line: string }[] = [];
    for (const [value, what] of secrets) {
      const i = logged.indexOf(value);
      if (i >= 0) leaks.push({ what, line: around(i) });
    }
    for (const fragment of SDP_FRAGMENTS) {
      const i = logged.toLowerCase().indexOf(fragment.toLowerCase());
      if (i >= 0) leaks.push({ what: `SDP/ICE fragment ${fragment}`, line: around(i) });
    }
    for (const ip of CLIENT_IPS) {
      const i = logged.indexOf(ip);
      if (i >= 0) leaks.push({ what: `IP address ${ip}`, line: around(i) });
    }
    expect(leaks).toEqual([]);
  });
});
