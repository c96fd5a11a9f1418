/**
 * A media worker SIGKILLed in the middle of a call: the call goes on, its participants are
 * told to reconnect their media, and media signaling works again on the new worker.
 */
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { connectUser, nextEvent, ok, startTestApp, type TestApp, liveCalls } from '../../support/app';
import { clientRtpCapabilities, opusRtpParameters } from './media-payloads';

describe('media worker crash mid-call', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WORKER_RESPAWN_DELAY_MS: '200' });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  it('re-homes the call; nobody is dropped; media flows through the new router', async () => {
    const a = await connectUser(t.url, `crash-a-${process.pid}`);
    const b = await connectUser(t.url, `crash-b-${process.pid}`);
    sockets.push(a, b);
    const ended: unknown[] = [];
    a.on('call:ended', (p) => ended.push(p));
    b.on('call:ended', (p) => ended.push(p));
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [`crash-b-${process.pid}`], media: 'audio' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    const send = await ok<{ transportId: string }>(a, 'media:create-transport', { callId, direction: 'send' });
    await ok(a, 'media:produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(3333) });

    const media = t.app.get(MediaService);
    const victim = media.room(callId).host.pid;
    const reconnectA = nextEvent<{ callId: string; reason: string; routerRtpCapabilities: { codecs: unknown[] } }>(a, 'media:reconnect');
    const reconnectB = nextEvent<{ callId: string }>(b, 'media:reconnect');
    const t0 = Date.now();
    process.kill(victim, 'SIGKILL');
    const r = await reconnectA;
    await reconnectB;
    console.log(`worker SIGKILL -> media:reconnect: ${Date.now() - t0} ms`);
    expect(r).toMatchObject({ callId, reason: 'worker_died' });
    expect(r.routerRtpCapabilities.codecs.length).toBeGreaterThan(0);
    expect(media.room(callId).host.pid).not.toBe(victim);
    expect(liveCalls(t.app).get(callId)?.status).toBe('active');

    // Media signaling again, on the new router.
    const send2 = await ok<{ transportId: string }>(a, 'media:create-transport', { callId, direction: 'send' });
    const announced = nextEvent<{ producerId: string }>(b, 'media:new-producer');
    const { producerId } = await ok<{ producerId: string }>(a, 'media:produce', { transportId: send2.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(4444) });
    expect((await announced).producerId).toBe(producerId);
    const recv = await ok<{ transportId: string }>(b, 'media:create-transport', { callId, direction: 'recv' });
    await ok(b, 'media:consume', { transportId: recv.transportId, producerId, rtpCapabilities: clientRtpCapabilities });
    expect(ended).toEqual([]);
    await ok(a, 'call:end', { callId });
  });
});
