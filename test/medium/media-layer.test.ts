/**
 * Medium tier: the media layer against real mediasoup workers (no mocks).
 */
import dgram from 'node:dgram';
import { loadConfig } from '../../src/config/app-config';
import type { RoomSink } from '../../src/media/media.port';
import { MediaService } from '../../src/media/media.service';
import { rtpPacket } from '../support/rtp';
import { consumerStats, createPlainTransport } from '../../src/media/plain-transports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function recordingSink() {
  const events = { producerClosed: [] as string[], consumerClosed: [] as string[], failed: [] as string[], rehomed: 0 };
  const sink: RoomSink = {
    producerClosed: (producerId) => events.producerClosed.push(producerId),
    consumerClosed: (_userId, consumerId) => events.consumerClosed.push(consumerId),
    rehomed: () => void events.rehomed++,
    failed: (reason) => events.failed.push(reason),
  };
  return { sink, events };
}


async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('media layer on real mediasoup workers', () => {
  let media: MediaService;

  beforeAll(async () => {
    media = new MediaService(loadConfig({}, { MEDIASOUP_NUM_WORKERS: '2', WORKER_RESPAWN_DELAY_MS: '100', LOG_LEVEL: 'silent', RTC_SERVER_PORT: '0' }));
    await media.onModuleInit();
  });

  afterAll(() => media.onApplicationShutdown());

  afterEach(() => {
    for (const callId of media.roomIds()) media.closeRoom(callId);
  });

  it('spreads routers over workers by load', async () => {
    const { sink } = recordingSink();
    for (let i = 1; i <= 4; i++) await media.openRoom(id(i), sink);
    const hosts = media.roomIds().map((callId) => media.room(callId).host.pid);
    const perWorker = new Map<number, number>();
    for (const pid of hosts) perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
    expect(perWorker.size).toBe(2);
    expect([...perWorker.values()]).toEqual([2, 2]);
    // Workers really hold those routers.
    const dumps = await Promise.all(media.pool.list().map((w) => w.worker.dump()));
    expect(dumps.map((d) => d.routerIds.length).sort()).toEqual([2, 2]);
  });

  it('opens one router when two joins race for the same call', async () => {
    const { sink } = recordingSink();
    await Promise.all([media.openRoom(id(10), sink), media.openRoom(id(10), sink)]);
    expect((await media.liveObjects()).routers).toBe(1);
  });

  it('forwards RTP from a PlainTransport producer to a consumer, then closes to zero objects', async () => {
    const { sink, events } = recordingSink();
    const callId = id(20);
    await media.openRoom(callId, sink);
    const room = media.room(callId);

    // Producer side: a plain transport that learns our address from the first packet (comedia).
    const ingest = await createPlainTransport(room, 'alice', { comedia: true });
    const ssrc = 0x1234;
    const producer = await room.produce('alice', {
      transportId: ingest.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] },
    });

    // Consumer side: a plain transport that sends to a local UDP socket we listen on.
    const receiver = dgram.createSocket('udp4');
    let received = 0;
    receiver.on('message', (msg) => {
      if ((msg[1] & 0x7f) < 64 || (msg[1] & 0x7f) > 95) received++; // RTP, not RTCP
    });
    await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', () => r()));
    const egress = await createPlainTransport(room, 'bob', { comedia: false });
    await egress.connect({ ip: '127.0.0.1', port: receiver.address().port });
    const consumer = await room.consume('bob', {
      transportId: egress.id,
      producerId: producer.producerId,
      rtpCapabilities: room.rtpCapabilities,
    });
    await room.resumeConsumer('bob', consumer.consumerId);

    const sender = dgram.createSocket('udp4');
    const target = ingest.tuple.localPort;
    for (let seq = 1; seq <= 100; seq++) {
      sender.send(rtpPacket(seq, seq * 960, ssrc, 100), target, '127.0.0.1');
      await sleep(5);
    }
    await waitFor(() => received >= 90);
    // The worker's own counters agree: the consumer sent what the producer received.
    const sent = await consumerStats(room, 'bob', consumer.consumerId);
    expect(sent.packetCount).toBeGreaterThanOrEqual(90);
    expect(received).toBeGreaterThanOrEqual(90);
    expect(room.counts()).toEqual({ peers: 2, transports: 2, producers: 1, consumers: 1 });

    // The producer's owner leaves: the consumer goes with it and its owner is told.
    room.removePeer('alice');
    await waitFor(() => events.consumerClosed.length === 1);
    expect(events.consumerClosed).toEqual([consumer.consumerId]);
    expect(room.counts()).toEqual({ peers: 1, transports: 1, producers: 0, consumers: 0 });

    media.closeRoom(callId);
    media.closeRoom(callId); // idempotent
    expect(await media.liveObjects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
    for (const w of media.pool.list()) expect(w.load).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
    expect(events.failed).toEqual([]);
    sender.close();
    receiver.close();
  });

  it('rejects malformed media input with typed errors and keeps the worker alive', async () => {
    const { sink } = recordingSink();
    const callId = id(30);
    await media.openRoom(callId, sink);
    const room = media.room(callId);
    const t = await room.createWebRtcTransport('alice', 'send');
    const dtls = { role: 'client' as const, fingerprints: [{ algorithm: 'sha-256' as const, value: 'AB:CD' }] };
    await room.connectTransport('alice', t.transportId, dtls);
    await expect(room.connectTransport('alice', t.transportId, dtls)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(
      room.produce('alice', { transportId: t.transportId, kind: 'video', source: 'camera', rtpParameters: { codecs: [{ mimeType: 'video/NOPE', payloadType: 101, clockRate: 90000 }] } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(room.connectTransport('bob', t.transportId, { fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(media.pool.size).toBe(2);
    for (const w of media.pool.list()) expect(w.worker.died).toBe(false);
  });

  it('respawns a killed worker and re-homes the rooms that lived on it, leaving the others alone', async () => {
    const a = recordingSink();
    const b = recordingSink();
    await media.openRoom(id(40), a.sink);
    await media.openRoom(id(41), b.sink);
    const victim = media.room(id(40)).host;
    const survivorRoom = media.room(id(41));
    expect(survivorRoom.host.pid).not.toBe(victim.pid);
    await media.room(id(40)).createWebRtcTransport('alice', 'send');

    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => a.events.rehomed === 1);
    const moved = media.room(id(40));
    expect(moved.host.pid).not.toBe(victim.pid);
    expect(moved.router.closed).toBe(false);
    expect(moved.counts()).toEqual({ peers: 0, transports: 0, producers: 0, consumers: 0 });
    expect(a.events.failed).toEqual([]);
    expect(b.events.rehomed).toBe(0);
    expect(survivorRoom.isClosed).toBe(false);
    // The moved room works: new transports on its new router.
    await moved.createWebRtcTransport('alice', 'send');
    await waitFor(() => media.pool.size === 2);
    expect(media.pool.list().map((w) => w.pid)).not.toContain(victim.pid);
  });

  it('re-homes onto the respawned worker when the only worker dies', async () => {
    const solo = new MediaService(loadConfig({}, { MEDIASOUP_NUM_WORKERS: '1', WORKER_RESPAWN_DELAY_MS: '100', LOG_LEVEL: 'silent', RTC_SERVER_PORT: '0' }));
    await solo.onModuleInit();
    try {
      const r = recordingSink();
      await solo.openRoom(id(50), r.sink);
      const victim = solo.room(id(50)).host.pid;
      process.kill(victim, 'SIGKILL');
      await waitFor(() => r.events.rehomed === 1);
      expect(solo.room(id(50)).host.pid).not.toBe(victim);
      expect(r.events.failed).toEqual([]);
    } finally {
      await solo.onApplicationShutdown();
    }
  });
});
