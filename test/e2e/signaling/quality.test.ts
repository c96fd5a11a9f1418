/**
 * Quality stats: the worker's view of every stream (sampled from a live call with real RTP),
 * the clients' stats:report, batched into PostgreSQL, summarised per participant (old samples
 * are purged by the retention job: test/medium/retention.test.ts).
 */
import dgram from 'node:dgram';
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { QualityService } from '../../../src/quality/quality.service';
import { QUALITY_STORE, type QualityStore } from '../../../src/quality/ports';
import { connectUser, devToken, ok, request, startTestApp, type TestApp, liveCalls, settled } from '../../support/app';
import { rtpPacket } from '../../support/rtp';
import { createPlainTransport } from '../../../src/media/plain-transports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('quality stats', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ QUALITY_SAMPLE_SECONDS: '1', QUALITY_RETENTION_DAYS: '7' });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  it('samples a live call, takes client reports, and summarises per participant', async () => {
    const aId = `q-a-${process.pid}`;
    const bId = `q-b-${process.pid}`;
    const a = await connectUser(t.url, aId);
    const b = await connectUser(t.url, bId);
    sockets.push(a, b);
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [bId], media: 'audio' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });

    // Real RTP into alice's producer, through a plain transport on the call's own router.
    const room = t.app.get(MediaService).room(callId);
    const ingest = await createPlainTransport(room, aId, { comedia: true });
    await room.produce(aId, {
      transportId: ingest.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 777 }] },
    });
    const udp = dgram.createSocket('udp4');
    for (let seq = 1; seq <= 150; seq++) {
      udp.send(rtpPacket(seq, seq * 960, 777, 100, 100), ingest.tuple.localPort, '127.0.0.1');
      await sleep(10);
    }
    udp.close();

    // The clients' own getStats summaries; a second report within a second is refused.
    await ok(b, 'stats:report', { callId, samples: [{ kind: 'audio', direction: 'inbound', packetsLost: 3, fractionLost: 0.02, jitter: 0.012, roundTripTime: 0.04, freezeCount: 2, somethingElse: 'ignored' }] });
    expect(await request(b, 'stats:report', { callId, samples: [] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const stranger = await connectUser(t.url, `q-c-${process.pid}`);
    sockets.push(stranger);
    expect(await request(stranger, 'stats:report', { callId, samples: [] })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(b, 'stats:report', { callId, samples: [{ fractionLost: 7 }] })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

    await t.app.get(QualityService).tick();
    const res = await fetch(`${t.url}/api/calls/${callId}/quality`, { headers: { authorization: `Bearer ${await devToken(t.url, aId)}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { callId: string; participants: { userId: string; samples: number; sendBitrateKbpsAvg: number | null; freezes: number | null; jitterMsAvg: number | null; scoreAvg: number | null }[] };
    const alice = body.participants.find((p) => p.userId === aId)!;
    const bob = body.participants.find((p) => p.userId === bId)!;
    expect(alice.samples).toBeGreaterThan(0);
    expect(alice.sendBitrateKbpsAvg).toBeGreaterThan(0);
    expect(alice.scoreAvg).not.toBeNull();
    expect(bob.freezes).toBe(2);
    expect(bob.jitterMsAvg).toBeCloseTo(12, 5);

    const outsider = await fetch(`${t.url}/api/calls/${callId}/quality`, { headers: { authorization: `Bearer ${await devToken(t.url, 'outsider')}` } });
    expect(outsider.status).toBe(404);
    await ok(a, 'call:end', { callId });
    expect(liveCalls(t.app).get(callId)).toBeUndefined();
  });
});
