/**
 * Three gateway processes on one Redis and one PostgreSQL, each page on its own gateway, real
 * Chromium: a 1:1 call across nodes, a group session across three nodes with its waiting room,
 * the owner node SIGKILLed mid-call (media comes back on a surviving node), and a drain that
 * moves the call on with nobody seeing `call:ended`.
 */
import type { Browser } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { connectWithToken, ensureTestDatabase, ok, signToken, TEST_DATABASE_URL } from '../../support/app';
import { AdminPage, ClientPage, WAIT_MS, bothWays, eventually, expectReceivingFrom, launchChromium, uniqueUser } from '../../support/browser';
import { explainedBy, startServerProcess, type ServerProcess } from '../../support/server-process';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'cross-node-test-secret-0123456789abcdef01';

type NodeRow = { nodeId: string; alive: boolean; calls: number; state: string; self: boolean };

describe('browser: calls across three gateway processes', () => {
  const prefix = `hearth-xbrowser-${process.pid}:`;
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: SECRET,
    MEDIASOUP_NUM_WORKERS: '1',
    NODE_TTL_SECONDS: '3',
    RING_TIMEOUT_SECONDS: '600',
    // The test reads every node's registry view several times a second; the REST limits are tested elsewhere.
    RATE_HTTP_IP: '100000/1m',
    RATE_HTTP_USER: '100000/1m',
  };
  const gw: ServerProcess[] = [];
  const sockets: Socket[] = [];
  let pages: (ClientPage | AdminPage)[] = [];
  let browser: Browser;
  const admin = signToken(SECRET, { sub: 'xnode-admin', name: 'Admin', role: 'admin' });

  beforeAll(async () => {
    await ensureTestDatabase();
    for (let i = 0; i < 3; i++) gw.push(await startServerProcess(env));
    browser = await launchChromium();
    await eventually(() => Promise.all(gw.map((g) => nodesOf(g))), (all) => all.every((l) => l.filter((n) => n.alive).length === 3), 20_000, 'every node sees the others');
  });

  afterEach(async () => {
    for (const p of pages) if (p.problems.length) console.log(`[${p.userId}] page problems:\n  ${p.problems.join('\n  ')}`);
    await Promise.all(pages.map((p) => p.close()));
    pages = [];
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await browser?.close();
    for (const g of gw) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
  });

  /** A failing test prints what each gateway logged (warnings and errors) and what each page was told. */
  const explained = explainedBy(gw, async () => {
    for (const p of pages) if (p instanceof ClientPage) console.log(`[${p.userId}] events: ${(await p.events().catch(() => [])).map((e) => e.event).join(' ')}`);
  });
  const nodesOf = async (g: ServerProcess): Promise<NodeRow[]> => {
    const res = await fetch(`${g.url}/api/admin/nodes`, { headers: { authorization: `Bearer ${admin}` } });
    return res.ok ? ((await res.json()) as NodeRow[]) : [];
  };
  const selfId = async (g: ServerProcess) => (await nodesOf(g)).find((n) => n.self)!.nodeId;
  const open = async (g: ServerProcess, name: string, role?: 'member' | 'host') => {
    const p = await ClientPage.open(browser, g.url, uniqueUser(name), name, role);
    pages.push(p);
    return p;
  };
  const consumerIds = async (p: ClientPage) => (await p.inboundStats()).map((s) => s.consumerId);
  /** A ringing call between two socket.io users on `g`: one call of load on that node (placement goes elsewhere). */
  const loadOn = async (g: ServerProcess) => {
    const [x, y] = [uniqueUser('load'), uniqueUser('load')];
    const xs = await connectWithToken(g.url, signToken(SECRET, { sub: x, name: x }));
    const ys = await connectWithToken(g.url, signToken(SECRET, { sub: y, name: y }));
    sockets.push(xs, ys);
    const { callId } = await ok<{ callId: string }>(xs, 'call:initiate', { calleeIds: [y], media: 'audio' });
    return { callId, cancel: () => ok(xs, 'call:cancel', { callId }) };
  };

  it('alice on one gateway and bob on another decode each other; then a group session spans three gateways with its waiting room', explained(async () => {
    const alice = await open(gw[0], 'alice');
    const bob = await open(gw[1], 'bob');
    await alice.call([bob.userId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    for (const [me, other] of bothWays(alice, bob)) await expectReceivingFrom(me, other);
    await alice.click('end');
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);
    expect((await bob.lastEnd())?.reason).toBe('completed');

    // The therapist on gateway 0, a client signed in on gateway 1, a guest from the invite link on gateway 2.
    const host = await open(gw[0], 'therapist', 'host');
    const row = await host.scheduleSession('Across nodes');
    const callId = (await row.getAttribute('data-call-id'))!;
    const inviteUrl = (await row.getByTestId('session-invite-link').innerText()).trim();
    await row.getByTestId('session-start').click();
    await host.waitForState('in-call');
    const guest = await ClientPage.openGuest(browser, `${gw[2].url}/${new URL(inviteUrl).search}`, 'Guest');
    pages.push(guest);
    const guestId = await guest.joinAsGuest('Sam');
    await guest.waitForState('waiting');
    await host.waitingRow(guestId).waitFor({ state: 'visible' });
    await host.waitingRow(guestId).getByTestId('admit').click();
    await guest.waitForState('in-call');
    const client = await open(gw[1], 'client');
    await client.joinById(callId);
    await client.waitForState('waiting');
    await host.waitingRow(client.userId).waitFor({ state: 'visible' });
    await host.waitingRow(client.userId).getByTestId('admit').click();
    await client.waitForState('in-call');
    await Promise.all([host, guest, client].map((p) => p.waitForDecodedVideo(2)));
    for (const me of [host, guest, client]) {
      const others = [host, guest, client].filter((p) => p !== me).map((p) => p.userId);
      const video = (await me.inboundGrowth()).filter((g) => g.kind === 'video' && g.framesDelta > 0).map((g) => g.userId);
      expect(video.sort()).toEqual(others.sort()); // everyone decodes both others, each from another gateway
    }
    await host.click('end');
    await Promise.all([guest, client].map((p) => p.waitForState('ready')));
  }));

  it('the owner node is SIGKILLed mid-call: a surviving node takes the call over and both pages decode again; then a drain moves it on without call:ended', explained(async () => {
    // Gateways 0 and 1 carry one call each, so the new call is placed on gateway 2. Placement
    // reads the registry, which lags a heartbeat: each step waits until every node sees the last.
    const ids = await Promise.all(gw.map((g) => selfId(g)));
    const everyoneSees = (want: number[], what: string) =>
      eventually(() => Promise.all(gw.map((g) => nodesOf(g))), (all) => all.every((l) => ids.every((id, i) => l.find((n) => n.nodeId === id)?.calls === want[i])), 10_000, what);
    await everyoneSees([0, 0, 0], 'the previous test settled');
    const loads = [await loadOn(gw[0])];
    await everyoneSees([1, 0, 0], 'the load on gateway 0 seen');
    loads.push(await loadOn(gw[1]));
    await everyoneSees([1, 1, 0], 'the load on gateway 1 seen');
    const alice = await open(gw[0], 'alice');
    const bob = await open(gw[1], 'bob');
    await alice.call([bob.userId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    const callId = (await alice.callId())!;
    const ownerId = await selfId(gw[2]);
    const hosted = (await (await fetch(`${gw[2].url}/api/admin/calls`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { callId: string; nodeId: string }[];
    expect(hosted.filter((c) => c.nodeId === ownerId).map((c) => c.callId)).toEqual([callId]); // the call, not a load call, is what the kill takes down

    const before = new Map([
      [alice, await consumerIds(alice)],
      [bob, await consumerIds(bob)],
    ]);
    const firstFrames = [alice, bob].map((p) => p.waitForDecodedVideo(1, WAIT_MS, 20, before.get(p)));
    const killedAt = Date.now();
    gw[2].child.kill('SIGKILL');
    const [aliceAt, bobAt] = await Promise.all(firstFrames);
    console.log(`owner node SIGKILL -> first frame decoded on a new stream (node TTL 3 s): alice ${aliceAt - killedAt} ms, bob ${bobAt - killedAt} ms`);
    for (const [me, other] of bothWays(alice, bob)) {
      expect(await me.state()).toBe('in-call');
      expect(await me.callId()).toBe(callId);
      const received = (await me.events()).map((e) => e.event);
      expect(received).toContain('media:reconnect');
      expect(received).not.toContain('call:ended');
      await eventually(() => me.mediaReconnecting(), (r) => !r, undefined, `${me.userId} done reconnecting`);
      await expectReceivingFrom(me, other);
    }
    const survivors = gw.slice(0, 2);
    const lists = await Promise.all(survivors.map((g) => nodesOf(g)));
    expect(lists[0].find((n) => n.nodeId === ownerId)).toBeUndefined(); // the lost node is gone from the registry
    const newOwner = survivors[(await Promise.all(survivors.map((g) => nodesOf(g)))).findIndex((l) => l.find((n) => n.self)!.calls >= 2)];
    expect(newOwner).toBeDefined();

    // An operator drains the node that took the call over: it moves to the other survivor, nobody sees call:ended.
    const moved = new Map([
      [alice, await consumerIds(alice)],
      [bob, await consumerIds(bob)],
    ]);
    const framesAgain = [alice, bob].map((p) => p.waitForDecodedVideo(1, WAIT_MS, 20, moved.get(p)));
    // From the admin page of the other survivor: two nodes listed (the lost one is gone), Drain node on the new owner.
    const newOwnerId = await selfId(newOwner);
    const operator = await AdminPage.open(browser, survivors.find((g) => g !== newOwner)!.url, uniqueUser('operator'));
    pages.push(operator);
    await eventually(() => operator.nodes(), (l) => l.length === 2 && l.find((n) => n.nodeId === newOwnerId)!.calls >= 2, 10_000, 'the admin page lists both survivors with the new owner\'s calls');
    expect(await operator.page.getByTestId('node-row').count()).toBe(2);
    operator.page.once('dialog', (d) => void d.accept());
    const drainAt = Date.now();
    await operator.nodeRow(newOwnerId).getByTestId('drain-node').click();
    const [a2, b2] = await Promise.all(framesAgain);
    await eventually(() => operator.nodeRow(newOwnerId).getByTestId('node-state').innerText(), (t) => t === 'draining', 10_000, 'the row shows the drain');
    expect(operator.problems).toEqual([]);
    console.log(`drain -> first frame decoded on the new node: alice ${a2 - drainAt} ms, bob ${b2 - drainAt} ms`);
    for (const [me, other] of bothWays(alice, bob)) {
      expect((await me.events()).map((e) => e.event)).not.toContain('call:ended');
      await expectReceivingFrom(me, other);
    }
    await alice.click('end');
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);
    expect((await bob.lastEnd())?.reason).toBe('completed');
    for (const l of loads) await l.cancel().catch(() => undefined);
  }));
});
