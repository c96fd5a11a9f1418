/**
 * Three gateways on one Redis and one PostgreSQL: every request works on every gateway,
 * whichever node owns the call (placed on one node, relayed to it), and a drain moves a live
 * call to another node without ending it.
 */
import type { Socket } from 'socket.io-client';
import { connectUser, connectWithToken, devToken, liveCalls, nextEvent, ok, request, startTestApp, type TestApp } from '../../support/app';
import { clientRtpCapabilities, opusRtpParameters } from './media-payloads';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('a call across gateway nodes', () => {
  const env = { REDIS_URL, REDIS_PREFIX: `hearth-xnode-${process.pid}:`, NODE_TTL_SECONDS: '3' };
  const nodes: TestApp[] = [];
  const sockets: Socket[] = [];
  const id = (n: string) => `${n}-x${process.pid}`;
  let adminToken: string;

  beforeAll(async () => {
    // Each node announces its own media address (TEST-NET-1: nothing is sent there; no RTP flows in this file).
    for (let i = 0; i < 3; i++) nodes.push(await startTestApp({ ...env, MEDIASOUP_ANNOUNCED_ADDRESS: `192.0.2.${i + 1}` }));
    adminToken = await devToken(nodes[0].url, id('admin'), 'Admin', 'admin');
    // Every node has heart-beaten at least once and sees the others.
    await until(async () => (await Promise.all(nodes.map((n) => adminNodes(n.url)))).every((l) => l.filter((n) => n.alive).length === 3));
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const n of nodes) await n.close();
  });

  const connect = async (node: TestApp, userId: string, role?: string) => {
    const s = await connectUser(node.url, userId, userId, role);
    sockets.push(s);
    return s;
  };
  const adminNodes = async (url: string) =>
    (await (await fetch(`${url}/api/admin/nodes`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { nodeId: string; alive: boolean; calls: number; state: string; workers: number; self: boolean; mediaAddress: string }[];
  const ownerOf = (callId: string) => nodes.filter((n) => liveCalls(n.app).has(callId));

  /** Both sides seated with a send and a receive transport; the caller's mic reaches the callee. */
  async function seatedCall(caller: Socket, callee: Socket, callerId: string, calleeId: string) {
    const incoming = nextEvent<{ callId: string }>(callee, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(caller, 'call:initiate', { calleeIds: [calleeId], media: 'audio' });
    expect((await incoming).callId).toBe(callId);
    await ok(caller, 'call:join', { callId });
    const joined = nextEvent<{ userId: string }>(caller, 'call:participant-joined');
    const ack = await ok<{ participants: { userId: string; state: string }[] }>(callee, 'call:join', { callId });
    expect(ack.participants.map((p) => [p.userId, p.state]).sort()).toEqual([[calleeId, 'joined'], [callerId, 'joined']].sort());
    expect((await joined).userId).toBe(calleeId);
    const media = async (s: Socket) => {
      const send = await ok<{ transportId: string; iceCandidates: { address: string }[] }>(s, 'media:create-transport', { callId, direction: 'send' });
      const recv = await ok<{ transportId: string; iceCandidates: { address: string }[] }>(s, 'media:create-transport', { callId, direction: 'recv' });
      // Transports are the owner's, wherever the socket is connected: their candidates carry the owner's announced address.
      const owner = nodes.indexOf(ownerOf(callId)[0]);
      for (const t of [send, recv]) expect(new Set(t.iceCandidates.map((c) => c.address))).toEqual(new Set([`192.0.2.${owner + 1}`]));
      return { send, recv };
    };
    const a = await media(caller);
    const b = await media(callee);
    const announced = nextEvent<{ producerId: string; userId: string }>(callee, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(caller, 'media:produce', { transportId: a.send.transportId, kind: 'audio', rtpParameters: opusRtpParameters(1111), source: 'mic' });
    expect(await announced).toMatchObject({ producerId, userId: callerId });
    const consumer = await ok<{ consumerId: string; producerId: string }>(callee, 'media:consume', { transportId: b.recv.transportId, producerId, rtpCapabilities: clientRtpCapabilities });
    expect(consumer.producerId).toBe(producerId);
    await ok(callee, 'media:resume-consumer', { consumerId: consumer.consumerId });
    return { callId, a, b };
  }

  it('lists every node with its load', async () => {
    const list = await adminNodes(nodes[1].url);
    expect(list).toHaveLength(3);
    expect(list.filter((n) => n.self)).toHaveLength(1);
    for (const n of list) expect(n).toMatchObject({ alive: true, state: 'serving', workers: expect.any(Number) });
    expect(new Set(list.map((n) => n.nodeId)).size).toBe(3);
    expect(list.map((n) => n.mediaAddress).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  });

  it('caller on one gateway, callee on another: one node hosts the call and both sides reach it', async () => {
    const ann = await connect(nodes[0], id('ann'));
    const ben = await connect(nodes[1], id('ben'));
    const { callId } = await seatedCall(ann, ben, id('ann'), id('ben'));
    expect(ownerOf(callId)).toHaveLength(1);
    // Every other request of the contract, from both gateways.
    const toggled = nextEvent<{ userId: string; enabled: boolean }>(ben, 'call:media-toggled');
    const mine = (await request(ann, 'media:consume', { transportId: 'nope', producerId: 'nope', rtpCapabilities: clientRtpCapabilities })) as { ok: boolean };
    expect(mine.ok).toBe(false);
    const ended = nextEvent<{ reason: string }>(ann, 'call:ended');
    const producers = liveCalls(ownerOf(callId)[0].app).get(callId)!;
    expect(producers.participants.size).toBe(2);
    await ok(ben, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
    expect(ownerOf(callId)).toHaveLength(0);
    void toggled.catch(() => undefined);
    // Both are free again on every node.
    const again = await ok<{ callId: string }>(ben, 'call:initiate', { calleeIds: [id('ann')], media: 'audio' });
    await ok(ben, 'call:cancel', { callId: again.callId });
  });

  it('spreads new calls over the nodes', async () => {
    const owners = new Set<TestApp>();
    const ends: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await connect(nodes[0], id(`sa${i}`));
      const b = await connect(nodes[0], id(`sb${i}`));
      const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [id(`sb${i}`)], media: 'audio' });
      await ok(b, 'call:join', { callId });
      owners.add(ownerOf(callId)[0]);
      ends.push(() => ok(a, 'call:end', { callId }));
    }
    // Calls placed since the last heartbeat count as load: three calls land on three nodes.
    expect(owners.size).toBe(3);
    // Any node's admin list shows every node's calls, each with the node hosting it.
    const listed = (await (await fetch(`${nodes[1].url}/api/admin/calls`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { callId: string; nodeId: string }[];
    const selfIds = await Promise.all(nodes.map(async (n) => (await adminNodes(n.url)).find((x) => x.self)!.nodeId));
    for (const owner of owners) {
      const hosted = liveCalls(owner.app).liveCallIds();
      expect(listed.filter((c) => hosted.includes(c.callId)).map((c) => c.nodeId)).toEqual(hosted.map(() => selfIds[nodes.indexOf(owner)]));
    }
    expect(listed).toHaveLength(nodes.reduce((n, x) => n + liveCalls(x.app).liveCallIds().length, 0));
    for (const end of ends) await end();
  });

  it('a group session with its host, a client and another client on three gateways; the waiting room works across them', async () => {
    const hostId = id('host');
    const hostToken = await devToken(nodes[0].url, hostId, 'Dr. Host', 'host');
    const res = await fetch(`${nodes[2].url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Group', startsAt: new Date().toISOString(), durationMinutes: 60, lobby: true, maxParticipants: 6 }),
    });
    const sess = (await res.json()) as { sessionId: string; callId: string; inviteUrl: string };
    const host = await connectWithToken(nodes[0].url, hostToken);
    sockets.push(host);
    await ok(host, 'call:join', { callId: sess.callId });
    const owner = ownerOf(sess.callId);
    expect(owner).toHaveLength(1);

    // A guest, with an invite exchanged on a node that does not host the call.
    const invite = new URL(sess.inviteUrl).searchParams.get('invite')!;
    const g = (await (await fetch(`${nodes[1].url}/api/sessions/${sess.sessionId}/guest-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invite, name: 'Sam' }) })).json()) as { token: string; userId: string };
    const guest = await connectWithToken(nodes[1].url, g.token);
    sockets.push(guest);
    const client = await connect(nodes[2], id('client'));
    for (const [who, userId] of [[guest, g.userId], [client, id('client')]] as const) {
      const knock = nextEvent<{ userId: string }>(host, 'lobby:knock');
      expect(await ok(who, 'call:join', { callId: sess.callId })).toEqual({ callId: sess.callId, state: 'waiting' });
      expect((await knock).userId).toBe(userId);
      const admitted = nextEvent(who, 'lobby:admitted');
      await ok(host, 'lobby:admit', { callId: sess.callId, userId });
      await admitted;
      await ok(who, 'call:join', { callId: sess.callId });
      await ok(who, 'media:create-transport', { callId: sess.callId, direction: 'recv' });
    }
    expect(ownerOf(sess.callId)).toEqual(owner);
    const seated = [...liveCalls(owner[0].app).get(sess.callId)!.participants.values()].filter((p) => p.state === 'joined').map((p) => p.userId);
    expect(seated.sort()).toEqual([hostId, g.userId, id('client')].sort());

    // A session change made on another node reaches the live call (lock), and a host control too.
    const locked = nextEvent<{ locked: boolean }>(client, 'session:locked');
    await ok(host, 'host:lock', { callId: sess.callId, locked: true });
    expect((await locked).locked).toBe(true);
    const removed = nextEvent(guest, 'host:removed');
    await ok(host, 'host:remove', { callId: sess.callId, userId: g.userId });
    await removed;
    const ended = nextEvent<{ reason: string }>(client, 'call:ended');
    const cancel = await fetch(`${nodes[1].url}/api/sessions/${sess.sessionId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}` } });
    expect(cancel.status).toBeLessThan(300);
    expect((await ended).reason).toBe('cancelled');
  });

  it('a drain moves a live call to another node: media reconnects, nobody sees call:ended', async () => {
    const cal = await connect(nodes[0], id('cal'));
    const dan = await connect(nodes[1], id('dan'));
    const { callId } = await seatedCall(cal, dan, id('cal'), id('dan'));
    const [from] = ownerOf(callId);
    const seen: string[] = [];
    for (const s of [cal, dan]) s.on('call:ended', () => seen.push('call:ended'));
    const reconnects = [cal, dan].map((s) => nextEvent<{ callId: string; reason: string; routerRtpCapabilities: unknown }>(s, 'media:reconnect'));
    const fromId = (await adminNodes(from.url)).find((n) => n.self)!.nodeId;
    const drain = await fetch(`${nodes[2].url}/api/admin/nodes/${fromId}/drain`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(drain.status).toBe(200);
    expect(await drain.json()).toMatchObject({ nodeId: fromId, state: 'draining', remaining: 0 });
    // Not ready any more, so a load balancer sends new connections elsewhere; still alive.
    expect((await fetch(`${from.url}/health/ready`)).status).toBe(503);
    expect((await fetch(`${from.url}/health/live`)).status).toBe(200);
    for (const r of await Promise.all(reconnects)) expect(r).toMatchObject({ callId, reason: 'migrated', routerRtpCapabilities: expect.anything() });
    const [to] = ownerOf(callId);
    expect(to).toBeDefined();
    expect(to).not.toBe(from);
    // The call goes on there: the same seats, new transports.
    await ok(cal, 'media:create-transport', { callId, direction: 'send' });
    await ok(dan, 'media:create-transport', { callId, direction: 'recv' });
    // The drained node takes no new calls.
    for (let i = 0; i < 3; i++) {
      const a = await connect(from, id(`dr${i}`));
      const b = await connect(from, id(`ds${i}`));
      const c = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [id(`ds${i}`)], media: 'audio' });
      expect(liveCalls(from.app).has(c.callId)).toBe(false);
      await ok(a, 'call:cancel', { callId: c.callId });
      void b;
    }
    expect(seen).toEqual([]);
    const ended = nextEvent<{ reason: string }>(dan, 'call:ended');
    await ok(cal, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
  });

  it('a request sent through the draining node the moment media:reconnect arrives is served by the new owner, not by the media being dropped', async () => {
    // Both on one node that still serves (the last test drained one): loads tie, so the call stays there.
    const serving = await adminNodes(nodes[0].url);
    const here = (await Promise.all(nodes.map((n) => adminNodes(n.url)))).findIndex((l) => serving.find((n) => n.nodeId === l.find((m) => m.self)!.nodeId)!.state === 'serving');
    const eve = await connect(nodes[here], id('eve'));
    const fay = await connect(nodes[here], id('fay'));
    const { callId } = await seatedCall(eve, fay, id('eve'), id('fay'));
    const [from] = ownerOf(callId);
    expect(nodes.indexOf(from)).toBe(here);
    // Both rebuild at once, as a browser does: no waiting for the drain's answer.
    const rebuilt = [eve, fay].map(
      (s) =>
        new Promise<{ ok: boolean; data?: { transportId: string; iceCandidates: { address: string }[] } }>((resolve) =>
          s.once('media:reconnect', () => s.emit('media:create-transport', { callId, direction: 'send' }, resolve)),
        ),
    );
    const fromId = (await adminNodes(from.url)).find((n) => n.self)!.nodeId;
    const drain = await fetch(`${from.url}/api/admin/nodes/${fromId}/drain`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(await drain.json()).toMatchObject({ moved: 1, remaining: 0 });
    const [to] = ownerOf(callId);
    expect([-1, here]).not.toContain(nodes.indexOf(to));
    for (const [i, ack] of (await Promise.all(rebuilt)).entries()) {
      expect(ack).toMatchObject({ ok: true });
      // Made on the new owner's workers (its announced address), and still there after the old node dropped the call.
      expect(new Set(ack.data!.iceCandidates.map((c) => c.address))).toEqual(new Set([`192.0.2.${nodes.indexOf(to) + 1}`]));
      await ok([eve, fay][i], 'media:restart-ice', { transportId: ack.data!.transportId });
    }
    const ended = nextEvent<{ reason: string }>(fay, 'call:ended');
    await ok(eve, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
