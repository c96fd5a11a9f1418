/**
 * Medium tier: how WebRTC transports meet the network, on real mediasoup workers (no mocks).
 * Server mode: each worker slot has one WebRtcServer on RTC_SERVER_PORT + slot that every
 * transport of the worker shares; range mode: each transport binds its own port. Fixed ports
 * here sit in 47000..47999, away from the other tests (they use RTC_SERVER_PORT=0).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { loadConfig } from '../../src/config/app-config';
import type { Env } from '../../src/config/config.schema';
import type { RoomSink } from '../../src/media/media.port';
import { MediaService } from '../../src/media/media.service';
import { WorkerSpawnError, type PooledWorker } from '../../src/media/worker-pool';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const sink: RoomSink = { producerClosed() {}, consumerClosed() {}, rehomed() {}, failed() {} };

type Candidate = { protocol: string; address: string; ip: string; port: number; type: string; tcpType?: string };
const candidatesOf = (ack: { iceCandidates: unknown[] }) => ack.iceCandidates as Candidate[];

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A MediaService on real workers with these settings; LOG_LEVEL silent. */
async function startMedia(env: Partial<Record<keyof Env, string>>): Promise<MediaService> {
  const media = new MediaService(loadConfig({}, { LOG_LEVEL: 'silent', WORKER_RESPAWN_DELAY_MS: '100', ...env }));
  await media.onModuleInit();
  return media;
}

/** Binds a UDP socket on 127.0.0.1:port; null when the port is taken (by a worker, say). */
function holdUdp(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => (s.close(), resolve(null)));
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

async function udpTaken(port: number): Promise<boolean> {
  const s = await holdUdp(port);
  if (!s) return true;
  await new Promise<void>((r) => s.close(() => r()));
  return false;
}

/** Opens a TCP connection to 127.0.0.1:port; null when nothing accepts it. */
function tcpConnect(port: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

async function tcpAccepts(port: number): Promise<boolean> {
  const s = await tcpConnect(port);
  s?.destroy();
  return s !== null;
}

const portOf = (w: PooledWorker, protocol: 'udp' | 'tcp') => w.rtcListen.find((l) => l.protocol === protocol)?.port;

describe('server mode: one WebRtcServer per worker on fixed ports', () => {
  const BASE = 47000;
  let media: MediaService;

  beforeAll(async () => {
    media = await startMedia({
      MEDIASOUP_NUM_WORKERS: '2',
      RTC_SERVER_PORT: String(BASE),
      RTC_MIN_PORT: '47100',
      RTC_MAX_PORT: '47999',
      // Small, so a second receiver spreads to the other worker.
      ROUTER_CONSUMER_BUDGET: '2',
    });
  });

  afterAll(() => media.onApplicationShutdown());

  afterEach(() => {
    for (const callId of media.roomIds()) media.closeRoom(callId);
  });

  it('worker slot k listens on UDP and TCP port RTC_SERVER_PORT + k, and the ports are really bound', async () => {
    const workers = media.pool.list().sort((a, b) => a.slot - b.slot);
    expect(workers.map((w) => w.slot)).toEqual([0, 1]);
    for (const w of workers) {
      expect(w.rtcListen).toEqual([
        { protocol: 'udp', ip: '127.0.0.1', port: BASE + w.slot },
        { protocol: 'tcp', ip: '127.0.0.1', port: BASE + w.slot },
      ]);
      expect(await udpTaken(BASE + w.slot)).toBe(true);
      expect(await tcpAccepts(BASE + w.slot)).toBe(true);
    }
    expect(await udpTaken(BASE + 2)).toBe(false); // nothing beyond the configured workers
    expect((await media.workerStats()).map((s) => [s.slot, s.rtcListen.map((l) => l.port)]).sort()).toEqual([
      [0, [BASE, BASE]],
      [1, [BASE + 1, BASE + 1]],
    ]);
  });

  it('every transport offers exactly its worker’s port, for udp and tcp; many transports share it', async () => {
    for (let i = 1; i <= 4; i++) await media.openRoom(id(i), sink);
    const seen = new Map<number, Set<string>>(); // worker pid -> "protocol:port" seen in candidates
    let count = 0;
    for (const callId of media.roomIds()) {
      const room = media.room(callId);
      for (let u = 0; u < 6; u++) {
        const ack = await room.createWebRtcTransport(`user-${u}`, 'send');
        const cands = candidatesOf(ack);
        expect(cands.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
        for (const c of cands) {
          expect(c.port).toBe(BASE + room.host.slot);
          expect(c.address).toBe('127.0.0.1');
          expect(c.type).toBe('host');
        }
        expect(cands.find((c) => c.protocol === 'tcp')?.tcpType).toBe('passive');
        const set = seen.get(room.host.pid) ?? new Set<string>();
        for (const c of cands) set.add(`${c.protocol}:${c.port}`);
        seen.set(room.host.pid, set);
        count++;
      }
    }
    expect(count).toBe(24);
    expect(seen.size).toBe(2); // the rooms were spread over both workers
    for (const [pid, set] of seen) {
      const w = media.pool.get(pid)!;
      expect([...set].sort()).toEqual([`tcp:${BASE + w.slot}`, `udp:${BASE + w.slot}`]);
      // The worker itself agrees: its WebRtcServer handles all 12 transports, on one socket per protocol.
      const dump = await w.webRtcServer!.dump();
      expect(dump.webRtcTransportIds).toHaveLength(12);
      expect(dump.udpSockets).toEqual([{ ip: '127.0.0.1', port: BASE + w.slot }]);
      expect(dump.tcpServers).toEqual([{ ip: '127.0.0.1', port: BASE + w.slot }]);
    }
    // Closing the rooms hands the transports back; the servers stay.
    for (const callId of media.roomIds()) media.closeRoom(callId);
    for (const w of media.pool.list()) expect((await w.webRtcServer!.dump()).webRtcTransportIds).toEqual([]);
  });

  it('a receive transport spread to another worker uses that worker’s WebRtcServer', async () => {
    await media.openRoom(id(10), sink);
    const room = media.room(id(10));
    await room.createWebRtcTransport('speaker', 'send');
    const first = candidatesOf(await room.createWebRtcTransport('listener-1', 'recv'));
    const second = candidatesOf(await room.createWebRtcTransport('listener-2', 'recv'));
    const routers = room.allRouters();
    expect(routers).toHaveLength(2); // the budget of 2 was used: listener-2 went to the other worker
    const other = media.pool.list().find((w) => w.pid !== room.host.pid)!;
    expect(new Set(first.map((c) => c.port))).toEqual(new Set([BASE + room.host.slot]));
    expect(new Set(second.map((c) => c.port))).toEqual(new Set([BASE + other.slot]));
    expect((await other.webRtcServer!.dump()).webRtcTransportIds).toHaveLength(1);
  });

  it('a SIGKILLed worker’s replacement takes the freed slot and listens on the same ports', async () => {
    await media.openRoom(id(20), sink);
    await media.openRoom(id(21), sink);
    const room = media.room(id(20));
    const victim = room.host;
    const survivor = media.pool.list().find((w) => w.pid !== victim.pid)!;
    const port = BASE + victim.slot;
    await room.createWebRtcTransport('alice', 'send');
    // A live TCP connection on the port when the worker dies: the kernel keeps its remains
    // (TIME_WAIT) on that port, which the replacement must still be able to bind.
    const conn = await tcpConnect(port);
    expect(conn).not.toBeNull();

    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => media.pool.size === 2 && !media.pool.get(victim.pid), 'the replacement worker');
    conn!.destroy();
    const replacement = media.pool.list().find((w) => w.pid !== survivor.pid)!;
    expect(replacement.pid).not.toBe(victim.pid);
    expect(replacement.slot).toBe(victim.slot);
    expect(replacement.rtcListen.map((l) => `${l.protocol}:${l.port}`)).toEqual([`udp:${port}`, `tcp:${port}`]);
    expect(await udpTaken(port)).toBe(true);
    expect(await tcpAccepts(port)).toBe(true);

    // The call that lived on the victim was re-homed on a live worker: its new transports carry that worker's port.
    await waitFor(() => !media.room(id(20)).isHomeless && media.pool.get(media.room(id(20)).host.pid) !== undefined, 'the call re-homed');
    const moved = media.room(id(20));
    const after = candidatesOf(await moved.createWebRtcTransport('alice', 'send'));
    expect(new Set(after.map((c) => c.port))).toEqual(new Set([BASE + moved.host.slot]));
    // A new call on the replacement (the least loaded) gets the dead worker's port back.
    await media.openRoom(id(22), sink);
    const fresh = media.room(id(22));
    expect(fresh.host.pid).toBe(replacement.pid);
    const cands = candidatesOf(await fresh.createWebRtcTransport('bob', 'send'));
    expect(cands.map((c) => `${c.protocol}:${c.port}`).sort()).toEqual([`tcp:${port}`, `udp:${port}`]);
  });

  it('a worker whose port is taken fails to spawn with an error naming the port; the pool goes on', async () => {
    const port = BASE + 2; // the next slot
    const squatter = net.createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(port, '127.0.0.1', () => resolve());
    });
    try {
      const err = await media.pool.spawn().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkerSpawnError);
      expect((err as Error).message).toMatch(new RegExp(`slot 2\\) cannot listen on udp\\+tcp 127\\.0\\.0\\.1:${port}: .*(in use|EADDRINUSE)`, 'i'));
      expect(media.pool.size).toBe(2);
      // The others still serve calls.
      await media.openRoom(id(30), sink);
      expect(candidatesOf(await media.room(id(30)).createWebRtcTransport('alice', 'send'))).toHaveLength(2);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    // Once the port is free the slot is used after all (an operator adding a worker again).
    await waitFor(async () => !(await udpTaken(port)), 'the failed worker to let go of its UDP port');
    const added = await media.pool.spawn();
    expect(added.slot).toBe(2);
    expect(added.rtcListen.map((l) => l.port)).toEqual([port, port]);
    media.pool.drain(added.pid);
    await waitFor(() => !media.pool.get(added.pid), 'the added worker retired');
  });
});

describe('server mode: announced address, protocols, a respawn whose port is taken', () => {
  const services: MediaService[] = [];
  afterAll(async () => {
    await Promise.all(services.map((m) => m.onApplicationShutdown()));
  });

  const start = async (env: Partial<Record<keyof Env, string>>) => {
    const m = await startMedia({ MEDIASOUP_NUM_WORKERS: '1', RTC_MIN_PORT: '47100', RTC_MAX_PORT: '47999', ...env });
    services.push(m);
    return m;
  };

  it('MEDIASOUP_ANNOUNCED_ADDRESS is the address of every candidate; the socket stays on the listen IP', async () => {
    const media = await start({ RTC_SERVER_PORT: '47010', MEDIASOUP_ANNOUNCED_ADDRESS: '203.0.113.10' });
    await media.openRoom(id(40), sink);
    const cands = candidatesOf(await media.room(id(40)).createWebRtcTransport('alice', 'send'));
    expect(cands.map((c) => `${c.protocol} ${c.address}:${c.port}`).sort()).toEqual(['tcp 203.0.113.10:47010', 'udp 203.0.113.10:47010']);
    expect(media.pool.list()[0].rtcListen.map((l) => l.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await udpTaken(47010)).toBe(true);
  });

  it('RTC_PROTOCOLS=tcp: only tcp candidates, and the worker opens no UDP port', async () => {
    const media = await start({ RTC_SERVER_PORT: '47011', RTC_PROTOCOLS: 'tcp' });
    await media.openRoom(id(41), sink);
    for (let i = 0; i < 3; i++) {
      const cands = candidatesOf(await media.room(id(41)).createWebRtcTransport(`user-${i}`, 'send'));
      expect(cands.map((c) => `${c.protocol}:${c.port}:${c.tcpType}`)).toEqual(['tcp:47011:passive']);
    }
    expect(media.pool.list()[0].rtcListen).toEqual([{ protocol: 'tcp', ip: '127.0.0.1', port: 47011 }]);
    expect(await tcpAccepts(47011)).toBe(true);
    expect(await udpTaken(47011)).toBe(false);
  });

  it('RTC_PROTOCOLS=udp: only udp candidates', async () => {
    const media = await start({ RTC_SERVER_PORT: '47012', RTC_PROTOCOLS: 'udp' });
    await media.openRoom(id(42), sink);
    const cands = candidatesOf(await media.room(id(42)).createWebRtcTransport('alice', 'send'));
    expect(cands.map((c) => `${c.protocol}:${c.port}`)).toEqual(['udp:47012']);
    expect(await tcpAccepts(47012)).toBe(false);
  });

  it('a dead worker whose port someone took meanwhile is replaced, on that port, once it is free again', async () => {
    const media = await start({ RTC_SERVER_PORT: '47013', WORKER_RESPAWN_DELAY_MS: '300' });
    const victim = media.pool.list()[0];
    let squatter: Promise<dgram.Socket | null> | undefined;
    // The moment the worker is gone (its port with it), take the port before the respawn runs.
    media.pool.once('workerdied', () => (squatter = holdUdp(47013)));
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => squatter !== undefined, 'the worker death');
    const held = await squatter!;
    expect(held).not.toBeNull();
    await sleep(900); // the first attempt (after 300 ms) failed: the port is ours
    expect(media.pool.size).toBe(0);
    await new Promise<void>((r) => held!.close(() => r()));
    await waitFor(() => media.pool.size === 1, 'the retried respawn', 15_000);
    const replacement = media.pool.list()[0];
    expect(replacement.pid).not.toBe(victim.pid);
    expect(replacement.slot).toBe(0);
    expect(replacement.rtcListen.map((l) => l.port)).toEqual([47013, 47013]);
  });

  it('a port already taken at start: start fails with an error naming the port, no worker is left, the process goes on', async () => {
    const squatter = await holdUdp(47014);
    expect(squatter).not.toBeNull();
    const media = new MediaService(loadConfig({}, { LOG_LEVEL: 'silent', MEDIASOUP_NUM_WORKERS: '2', RTC_SERVER_PORT: '47014', RTC_MIN_PORT: '47100', RTC_MAX_PORT: '47999' }));
    services.push(media);
    try {
      await expect(media.onModuleInit()).rejects.toThrow(/media worker \(slot 0\) cannot listen on udp\+tcp 127\.0\.0\.1:47014: .*(in use|EADDRINUSE)/i);
      expect(media.pool.size).toBe(0);
      // The other slot's worker was stopped too: its port is free.
      await waitFor(async () => !(await udpTaken(47015)), 'slot 1 port released');
      expect(await tcpAccepts(47015)).toBe(false);
    } finally {
      await new Promise<void>((r) => squatter!.close(() => r()));
    }
  });
});

describe('range mode: a port per transport', () => {
  let media: MediaService;
  beforeAll(async () => {
    media = await startMedia({ MEDIASOUP_NUM_WORKERS: '1', RTC_PORT_MODE: 'range', RTC_SERVER_PORT: '47020', RTC_MIN_PORT: '47200', RTC_MAX_PORT: '47299' });
  });
  afterAll(() => media.onApplicationShutdown());

  it('every transport gets its own ports from RTC_MIN_PORT..RTC_MAX_PORT, and no WebRtcServer exists', async () => {
    const w = media.pool.list()[0];
    expect(w.webRtcServer).toBeUndefined();
    expect(w.rtcListen).toEqual([]);
    expect(await udpTaken(47020)).toBe(false);
    await media.openRoom(id(50), sink);
    const udpPorts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const cands = candidatesOf(await media.room(id(50)).createWebRtcTransport(`user-${i}`, 'send'));
      expect(cands.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
      for (const c of cands) {
        expect(c.port).toBeGreaterThanOrEqual(47200);
        expect(c.port).toBeLessThanOrEqual(47299);
      }
      udpPorts.push(cands.find((c) => c.protocol === 'udp')!.port);
    }
    expect(new Set(udpPorts).size).toBe(5);
    for (const p of udpPorts) expect(await udpTaken(p)).toBe(true);
  });
});
