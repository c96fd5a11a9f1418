import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startTestApp, TEST_DATABASE_URL, type TestApp } from '../../support/app';
import { AdminPage, bothWays, ClientPage, endLiveCalls, eventually, expectReceivingFrom, launchChromium, uniqueUser } from '../../support/browser';
import { scanBundle, INERT_URLS } from '../../support/egress-bundle';
import {
  addressOf,
  EgressRecorder,
  INERT_CONNECTS,
  egressChromiumArgs,
  iceServerLocal,
  netLogHost,
  offServer,
  readNetLog,
  serverHosts,
  type IceRecord,
  type NetLogFindings,
} from '../../support/egress-browser';
import { recordNodeEgress, type NodeEgress } from '../../support/egress-node';
import { describeSocket, isLoopback, isUnspecified, processTree, socketsOf, type ProcSocket } from '../../support/egress-sockets';
import { MediaService } from '../../../src/media/media.service';

/**
 * The privacy promise: no connection ever leaves the clinic's own servers (no third-party
 * STUN/TURN, CDN, font or analytics). Proven three independent ways:
 *  1. the browser, with every host name but the server's unresolvable, through a whole 1:1 video
 *     call and a group session with a guest from an invite link (and the operators' page watching
 *     it): every request, websocket, DNS lookup, socket connect and datagram (NetLog) and ICE
 *     candidate stays on the test server / loopback;
 *  2. the built client (client/dist) names no host at all, save inert identifiers listed by name;
 *  3. the server's own sockets (this Jest process hosts it) and its mediasoup workers', sampled
 *     from /proc during both calls, reach only loopback peers (PostgreSQL and Redis included).
 */

/**
 * Connected sockets of the browser that are not egress: to learn which local address the default
 * route uses, WebRTC's network list (kPublicIPv4Host/kPublicIPv6Host, port 53) and Chromium's
 * resolver's IPv6 reachability check (port 443, seen in the NetLog of every run) `connect()` a
 * UDP socket to Google Public DNS and close it. A UDP connect() only picks a route and sends no
 * datagram (the NetLog check sees every datagram's destination). Short-lived, so a sample rarely
 * catches one; listed so that it cannot make the test flaky. Never allowed for the server or its workers.
 */
const BROWSER_PROBES: Array<{ proto: string; test: (remote: { address: string; port: number }) => boolean }> = [
  { proto: 'udp', test: (r) => r.address === '8.8.8.8' && r.port === 53 },
  { proto: 'udp6', test: (r) => r.address === '2001:4860:4860::8888' && (r.port === 53 || r.port === 443) },
];

const CLIENT_DIST = path.resolve(__dirname, '..', '..', '..', 'client', 'dist');

describe('no egress: the built client', () => {
  it('names no host, STUN/TURN server or CDN anywhere in client/dist (js, css, html, source maps)', () => {
    if (!existsSync(path.join(CLIENT_DIST, 'index.html'))) {
      throw new Error(`${CLIENT_DIST} has no build (index.html missing): run \`npm run build\` (npm test's pretest does) before this test`);
    }
    const { files, findings } = scanBundle(CLIENT_DIST);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files).toContain('index.html');
    console.log(`scanned ${files.length} files of client/dist; inert identifiers allowed:\n  ${INERT_URLS.map((a) => `${a.pattern.source}: ${a.reason}`).join('\n  ')}`);
    expect(findings.map((f) => `${f.file}:${f.line}: ${f.match}   …${f.context}…`)).toEqual([]);
  });
});

describe('no egress: a 1:1 video call and a group session with a guest', () => {
  const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let t: TestApp;
  let real: Browser | undefined;
  let rec: EgressRecorder;
  let netLogDir: string;
  let netLog: NetLogFindings;
  let hosts: string[];
  const pages: Array<ClientPage | AdminPage> = [];
  /** Every TCP/UDP socket seen, by process role, over all samples. */
  const seen = new Map<string, ProcSocket & { role: 'server' | 'worker' | 'browser' }>();
  const workerPids = new Set<number>();
  let samples = 0;
  let sampler: NodeJS.Timeout | undefined;
  let nodeEgress: { record: NodeEgress; stop(): void } | undefined;

  /** One look at the sockets of this process (the server), its mediasoup workers and the browser (every other descendant). */
  function sample(): void {
    const workers = new Set(t ? t.app.get(MediaService).pool.list().map((w) => w.pid) : []);
    for (const pid of workers) workerPids.add(pid);
    for (const s of socketsOf(processTree(process.pid))) {
      const role = s.pid === process.pid ? 'server' : workers.has(s.pid) ? 'worker' : 'browser';
      seen.set(`${s.pid}:${s.inode}:${s.state}:${s.remote.address}:${s.remote.port}`, { ...s, role });
    }
    samples++;
  }

  const open = async <P extends ClientPage | AdminPage>(p: Promise<P>, name: string): Promise<P> => {
    const page = await p;
    pages.push(page);
    rec.name(page.page, name);
    return page;
  };

  /** ICE candidates, pairs and servers of each page while its media flows, and its selected pairs from the client's debug hook. */
  async function sampleIce(...ps: ClientPage[]) {
    for (const p of ps) {
      const record = await rec.sampleIce(p.page);
      expect(record.peerConnections).toBeGreaterThanOrEqual(2);
      const selected = await eventually(() => p.selectedPairs(), (s) => s.length === 2, undefined, `${p.userId}: selected pairs on both transports`);
      for (const pair of selected) expect({ user: p.userId, remote: pair.remote.address, loopback: isLoopback(pair.remote.address) }).toEqual({ user: p.userId, remote: pair.remote.address, loopback: true });
    }
    sample();
  }

  beforeAll(async () => {
    // Recording starts before the server does: whatever it connects to at startup counts too.
    nodeEgress = recordNodeEgress();
    sampler = setInterval(sample, 500);
    try {
      t = await startTestApp({ REDIS_URL, REDIS_PREFIX: `hearth-egress-${uniqueUser('t')}:` });
      hosts = serverHosts(t.url);
      sample();
      netLogDir = mkdtempSync(path.join(os.tmpdir(), 'hearth-egress-netlog-'));
      real = await launchChromium(egressChromiumArgs(path.join(netLogDir, 'netlog.json')));
      rec = new EgressRecorder(real);

      // ---- a 1:1 video call: both decode the other's video and receive their audio
      const alice = await open(ClientPage.open(rec.browser, t.url, uniqueUser('alice'), 'alice'), 'alice');
      const bob = await open(ClientPage.open(rec.browser, t.url, uniqueUser('bob'), 'bob'), 'bob');
      await alice.call([bob.userId], 'video');
      await bob.answer();
      await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
      for (const [me, other] of bothWays(alice, bob)) await expectReceivingFrom(me, other);
      await sampleIce(alice, bob);
      await bob.click('end');
      await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);

      // ---- a group session: the therapist starts it; a guest opens the invite link (on `localhost`), is admitted, media both ways
      const host = await open(ClientPage.open(rec.browser, t.url, uniqueUser('therapist'), 'therapist', 'host'), 'therapist');
      const row = await host.scheduleSession('Egress group');
      const inviteUrl = (await row.getByTestId('session-invite-link').innerText()).trim();
      await row.getByTestId('session-start').click();
      await host.waitForState('in-call');
      // The link names the server's PUBLIC_URL, which tests do not run on: the same link on the test server.
      const onServer = `http://localhost:${new URL(t.url).port}/${new URL(inviteUrl).search}`;
      const guest = await open(ClientPage.openGuest(rec.browser, onServer, 'Guest'), 'guest');
      await eventually(() => guest.previewLive(), (live) => live, undefined, 'the guest camera preview');
      const guestId = await guest.joinAsGuest('Sam');
      await guest.waitForState('waiting');
      await host.waitingRow(guestId).waitFor({ state: 'visible' });
      await host.waitingRow(guestId).getByTestId('admit').click();
      await guest.waitForState('in-call');
      await Promise.all([guest.waitForDecodedVideo(1), host.waitForDecodedVideo(1)]);
      for (const [me, other] of bothWays(host, guest)) await expectReceivingFrom(me, other);
      await sampleIce(host, guest);
      // ---- the operators' page (Chart.js and all) polling the live session
      const operator = await open(AdminPage.open(rec.browser, t.url, uniqueUser('operator')), 'operator');
      await operator.waitForRefreshes(2);
      await operator.callRow((await host.callId())!).waitFor({ state: 'visible' });
      await host.click('end');
      await Promise.all([host.waitForState('ready'), guest.waitForState('ready')]);
      sample();
    } finally {
      clearInterval(sampler);
      nodeEgress?.stop();
      for (const p of pages) if (p.problems.length) console.log(`[${p.userId}] page problems:\n  ${p.problems.join('\n  ')}`);
      await Promise.all(pages.map((p) => p.close()));
      if (t) await endLiveCalls(t);
      // The NetLog is complete once the browser has closed.
      await real?.close();
      real = undefined;
      try {
        netLog = readNetLog(path.join(netLogDir, 'netlog.json'));
      } catch (err) {
        netLog = { requests: [], streams: [], resolved: [], connects: [], udpSentTo: [], events: 0 };
        console.log(`the NetLog could not be read: ${String(err)}`);
      }
    }
  });

  afterAll(async () => {
    clearInterval(sampler);
    nodeEgress?.stop();
    await real?.close();
    await t?.close();
    if (netLogDir) rmSync(netLogDir, { recursive: true, force: true });
  });

  it('every request and websocket of every page went to the test server, and none failed for an outside host', () => {
    console.log(
      `${rec.requests.length} requests, ${rec.websockets.length} websockets, ${rec.failed.length} failed requests; hosts allowed: ${hosts.join(', ')}` +
        (rec.failed.length ? `\n  failed: ${rec.failed.map((f) => `${f.page} ${f.url} ${f.error}`).join('\n  ')}` : ''),
    );
    // The recording saw the pages load and connect (an empty record would pass vacuously).
    expect(rec.requests.some((r) => r.type === 'document' && r.url.startsWith(`http://localhost:`))).toBe(true);
    expect(rec.requests.some((r) => r.type === 'script')).toBe(true);
    expect(rec.requests.some((r) => r.page === 'operator' && r.url.includes('/api/admin/calls'))).toBe(true);
    expect(new Set(rec.websockets.filter((w) => w.url.includes('/socket.io/')).map((w) => w.page))).toEqual(new Set(['alice', 'bob', 'therapist', 'guest']));

    expect(rec.requests.map((r) => offServer(r.url, hosts)).filter(Boolean)).toEqual([]);
    expect(rec.websockets.map((w) => offServer(w.url, hosts)).filter(Boolean)).toEqual([]);
    // A request to any other host fails with ERR_NAME_NOT_RESOLVED under the resolver rules: none may have been tried.
    expect(rec.failed.filter((f) => offServer(f.url, hosts) || /NAME_NOT_RESOLVED|NAME_RESOLUTION/.test(f.error))).toEqual([]);
  });

  it('the browser as a whole (NetLog): pages reached only the server; every datagram and connect went to loopback', () => {
    const origins = hosts.map((h) => `http://${h}`);
    const off = netLog.requests.filter((r) => offServer(r.url, hosts));
    console.log(
      `NetLog: ${netLog.events} events, ${netLog.requests.length} URL requests; resolved ${JSON.stringify([...new Set(netLog.resolved.map((r) => r.host))])}; ` +
        `connects ${JSON.stringify([...new Set(netLog.connects.map((c) => c.address))])}; UDP sent to ${JSON.stringify(netLog.udpSentTo)}` +
        (off.length ? `\n  the browser's own requests (not the pages'), refused by the resolver rules:\n  ${off.map((r) => `${r.url.slice(0, 90)} (isolation key ${r.isolationKey})`).join('\n  ')}` : ''),
    );
    expect(netLog.events).toBeGreaterThan(0);
    // The log saw the pages: their requests and their connections to the server.
    expect(netLog.requests.filter((r) => origins.includes(r.initiator)).length).toBeGreaterThan(0);
    expect(netLog.connects.some((c) => c.address.endsWith(`:${new URL(t.url).port}`))).toBe(true);

    // Nothing a page started (its subresources, fetches, websockets, favicon, preconnects) left the server.
    expect(netLog.requests.filter((r) => r.initiator !== 'not an origin' && (offServer(r.url, hosts) || !origins.includes(r.initiator)))).toEqual([]);
    // What the browser started itself (navigations by the test; its own background services) either went to the server or was refused.
    expect(off.filter((r) => r.initiator !== 'not an origin')).toEqual([]);
    // No connection set up past those requests (a page's preconnect has no request), and no DNS prefetch.
    expect(netLog.streams.filter((st) => offServer(st.url, hosts) && (st.preconnect || !off.some((r) => r.url === st.url)))).toEqual([]);
    expect(netLog.resolved.filter((r) => r.speculative)).toEqual([]);
    expect(netLog.resolved.filter((r) => netLogHost(r.host) !== '~notfound' && offServer(r.host, hosts))).toEqual([]);
    // No socket reached past loopback: TCP connects, UDP connects (save the inert probe) and every datagram sent (WebRTC's too).
    expect(netLog.connects.filter((c) => !isLoopback(addressOf(c.address)) && !INERT_CONNECTS.some((i) => i.type === c.type && i.address.test(c.address)))).toEqual([]);
    expect(netLog.udpSentTo.filter((a) => !isLoopback(addressOf(a)))).toEqual([]);
  });

  it('WebRTC used no ICE server and every remote ICE candidate is a loopback address', () => {
    const records = rec.iceRecords();
    expect(records.map((r) => r.page).sort()).toEqual(['alice', 'bob', 'guest', 'therapist']);
    const lines = (r: IceRecord) => [
      `iceServers ${JSON.stringify(r.iceServers)}; errors ${JSON.stringify(r.errors)}`,
      ...r.candidates.map((c) => `${c.side} ${c.candidateType} ${c.protocol} ${c.address}:${c.port}${c.url ? ` via ${c.url}` : ''}`),
      ...r.pairs.map((p) => `pair ${p.state}${p.nominated ? ' nominated' : ''}: ${p.local} -> ${p.remote}`),
    ];
    console.log(records.map(({ page, record }) => `${page}:\n  ${lines(record).join('\n  ')}`).join('\n'));
    for (const { page, record } of records) {
      // STUN/TURN servers handed to the browser: none by default, and never one off this machine.
      expect({ page, offMachine: record.iceServers.flatMap((s) => [s.urls].flat()).filter((u) => !iceServerLocal(u)) }).toEqual({ page, offMachine: [] });
      expect({ page, errors: record.errors }).toEqual({ page, errors: [] });
      expect(record.candidates.filter((c) => c.side === 'remote').length).toBeGreaterThan(0);
      expect(record.pairs.some((p) => p.state === 'succeeded')).toBe(true);
      // Every address the browser sent media to, or checked connectivity with.
      expect({ page, remote: record.candidates.filter((c) => c.side === 'remote' && !isLoopback(c.address)) }).toEqual({ page, remote: [] });
      // Gathering asked no server: no server-reflexive, relayed or server-learned candidate.
      expect({ page, local: record.candidates.filter((c) => c.side === 'local' && (c.candidateType !== 'host' || c.url || c.relatedAddress)) }).toEqual({ page, local: [] });
      expect({ page, gathered: record.gathered.filter((line) => !/ typ host( |$)/.test(line)) }).toEqual({ page, gathered: [] });
    }
  });

  it('the server and its mediasoup workers (and the browser) held sockets to loopback peers only, all through both calls', () => {
    const all = [...seen.values()];
    const connected = all.filter((s) => !isUnspecified(s.remote));
    const port = Number(new URL(t.url).port);
    const listening = new Set(all.filter((s) => isUnspecified(s.remote)).map((s) => `${s.proto}:${s.local.port}`));
    // Accepted connections by the port they came in on; outgoing ones by where they went.
    const peer = (s: ProcSocket) => (listening.has(`${s.proto}:${s.local.port}`) ? `accepted on :${s.local.port} from ${s.remote.address}` : `to ${s.remote.address}:${s.remote.port}`);
    const counts = new Map<string, number>();
    for (const s of connected) counts.set(`${s.role} ${s.proto} ${peer(s)}`, (counts.get(`${s.role} ${s.proto} ${peer(s)}`) ?? 0) + 1);
    console.log(
      `${samples} samples of /proc; ${all.length} sockets seen (${connected.length} with a peer); workers ${[...workerPids].join(', ')}\n  ` +
        [...counts].map(([k, n]) => `${k}${n > 1 ? ` (${n} sockets)` : ''}`).sort().join('\n  '),
    );
    // The sampling saw what it must have seen: the server's PostgreSQL, Redis and browser connections, each worker's listening sockets.
    const server = connected.filter((s) => s.role === 'server');
    expect(server.some((s) => s.remote.port === Number(new URL(TEST_DATABASE_URL).port || 5432))).toBe(true);
    expect(server.some((s) => s.remote.port === Number(new URL(REDIS_URL).port || 6379))).toBe(true);
    expect(server.some((s) => s.local.port === port)).toBe(true);
    expect(samples).toBeGreaterThanOrEqual(5);
    expect(workerPids.size).toBeGreaterThanOrEqual(2);
    for (const pid of workerPids) expect({ pid, sockets: all.some((s) => s.pid === pid && s.role === 'worker') }).toEqual({ pid, sockets: true });

    // The server and its workers: no exception at all. The browser: only its route probes (see BROWSER_PROBES).
    const offLoopback = connected.filter((s) => !isLoopback(s.remote.address));
    const probes = offLoopback.filter((s) => s.role === 'browser' && BROWSER_PROBES.some((p) => p.proto === s.proto && p.test(s.remote)));
    if (probes.length) console.log(`the browser's route probes (UDP connect, no datagram):\n  ${probes.map(describeSocket).join('\n  ')}`);
    expect(offLoopback.filter((s) => !probes.includes(s)).map((s) => `${s.role}: ${describeSocket(s)}`)).toEqual([]);
  });

  it('the server process itself (Node: net, dgram, dns) connected to and looked up loopback only, from its startup on', () => {
    const r = nodeEgress!.record;
    console.log(`Node: TCP asked ${JSON.stringify([...new Set(r.tcpAsked)])}; connected ${JSON.stringify([...new Set(r.tcpConnected)])}; UDP ${JSON.stringify([...new Set(r.udp)])}; lookups ${JSON.stringify([...new Set(r.lookups)])}`);
    // It saw the server's own connections (PostgreSQL, Redis): patched where the server's modules call.
    expect(r.tcpConnected.some((a) => a.endsWith(':6379'))).toBe(true);
    expect(r.tcpConnected.length).toBeGreaterThanOrEqual(2);
    const local = (host: string) => host === 'localhost' || isLoopback(host);
    expect(r.tcpAsked.filter((a) => !local(addressOf(a)))).toEqual([]);
    expect(r.tcpConnected.filter((a) => !isLoopback(addressOf(a)))).toEqual([]);
    expect(r.udp.filter((a) => !local(addressOf(a)))).toEqual([]);
    expect(r.lookups.filter((h) => !local(h))).toEqual([]);
  });
});
