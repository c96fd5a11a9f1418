/**
 * A call that outgrows one router's consumer budget spreads its receivers over routers on
 * other workers, fed by pipeToRouter; RTP still reaches every receiver; close leaves nothing.
 */
import dgram from 'node:dgram';
import { loadConfig } from '../../src/config/app-config';
import type { RoomSink } from '../../src/media/media.port';
import { MediaService } from '../../src/media/media.service';
import { rtpPacket } from '../support/rtp';
import { createPlainTransport } from '../../src/media/plain-transports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sink: RoomSink = { producerClosed() {}, consumerClosed() {}, rehomed() {}, failed() {} };

describe('spreading a large call over workers', () => {
  let media: MediaService;

  beforeAll(async () => {
    media = new MediaService(loadConfig({}, { MEDIASOUP_NUM_WORKERS: '2', ROUTER_CONSUMER_BUDGET: '4', LOG_LEVEL: 'silent', RTC_SERVER_PORT: '0' }));
    await media.onModuleInit();
  });

  afterAll(() => media.onApplicationShutdown());

  it('pipes the producer to a second worker once the budget is used, and every listener hears it', async () => {
    const callId = '00000000-0000-4000-8000-000000000777';
    await media.openRoom(callId, sink);
    const room = media.room(callId);
    const ingest = await createPlainTransport(room, 'speaker', { comedia: true });
    const producer = await room.produce('speaker', {
      transportId: ingest.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 4242 }] },
    });

    const listeners: { socket: dgram.Socket; received: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const socket = dgram.createSocket('udp4');
      const l = { socket, received: 0 };
      socket.on('message', () => l.received++);
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      const egress = await createPlainTransport(room, `listener${i}`, { comedia: false, receive: true });
      await egress.connect({ ip: '127.0.0.1', port: socket.address().port });
      const c = await room.consume(`listener${i}`, { transportId: egress.id, producerId: producer.producerId, rtpCapabilities: room.rtpCapabilities });
      await room.resumeConsumer(`listener${i}`, c.consumerId);
      listeners.push(l);
    }

    const routers = room.allRouters();
    expect(routers.length).toBeGreaterThanOrEqual(2);
    const pids = new Set(media.pool.list().filter((w) => w.load.routers > 0).map((w) => w.pid));
    expect(pids.size).toBe(2);
    expect(media.pool.list().map((w) => w.load.consumers).every((n) => n > 0)).toBe(true);

    const sender = dgram.createSocket('udp4');
    for (let seq = 1; seq <= 100; seq++) {
      sender.send(rtpPacket(seq, seq * 960, 4242, 100), ingest.tuple.localPort, '127.0.0.1');
      await sleep(5);
    }
    const deadline = Date.now() + 5000;
    while (listeners.some((l) => l.received < 90) && Date.now() < deadline) await sleep(50);
    expect(listeners.map((l) => l.received >= 90)).toEqual([true, true, true, true, true]);

    media.closeRoom(callId);
    sender.close();
    for (const l of listeners) l.socket.close();
    const dumps = await Promise.all(media.pool.list().map((w) => w.worker.dump()));
    expect(dumps.map((d) => d.routerIds.length)).toEqual([0, 0]);
    for (const w of media.pool.list()) expect(w.load).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  });
});
