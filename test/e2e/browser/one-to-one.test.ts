import { MediaService } from '../../../src/media/media.service';
import {
  bothWays,
  browserSuite,
  eventually,
  expectCaptureReleased,
  expectServerMediaReleased,
  startOneToOneCall,
  startOneToOneVideoCall,
  uniqueUser,
} from '../../support/browser';

/** Real Chromium pages, served by the gateway itself, calling each other through the real SFU. */
describe('browser: 1:1 calls', () => {
  const suite = browserSuite();

  it('video call: each side decodes the other one\'s video and receives their audio', async () => {
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await alice.call([bob.userId], 'video');
    await bob.waitForIncoming();
    expect(await bob.page.getByTestId('incoming-text').innerText()).toContain('alice');

    // Poll for the first decoded frame on both sides from before the answer click.
    const aliceFirstFrame = alice.waitForDecodedVideo(1, undefined, 20);
    const bobFirstFrame = bob.waitForDecodedVideo(1, undefined, 20);
    await bob.answer();
    const [aliceAt, bobAt] = await Promise.all([aliceFirstFrame, bobFirstFrame]);
    const joinAt = (await bob.joinSentAt())!;
    console.log(
      `1:1 video call, from bob's call:join (answer click) to the first decoded remote frame: ` +
        `bob ${bobAt - joinAt} ms, alice ${aliceAt - joinAt} ms`,
    );

    const callId = await alice.callId();
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await bob.callId()).toBe(callId);
    expect(await alice.page.getByTestId('call-id').innerText()).toBe(callId);

    for (const [me, other] of bothWays(alice, bob)) {
      const growth = await me.inboundGrowth();
      const video = growth.filter((s) => s.kind === 'video');
      const audio = growth.filter((s) => s.kind === 'audio');
      expect(video).toHaveLength(1);
      expect(audio).toHaveLength(1);
      expect(video[0].userId).toBe(other.userId);
      expect(video[0].framesDelta).toBeGreaterThan(0);
      expect(audio[0].userId).toBe(other.userId);
      expect(audio[0].bytesDelta).toBeGreaterThan(0);
      expect(audio[0].packetsDelta).toBeGreaterThan(0);
      expect(await me.page.getByTestId('remote-tile').count()).toBe(1);
      expect(await me.page.locator(`[data-testid="remote-tile"][data-user-id="${other.userId}"] figcaption`).innerText()).toContain(other.userId.split('-')[0]);
      expect((await me.localTracks()).map((tr) => `${tr.kind}:${tr.readyState}`).sort()).toEqual(['audio:live', 'video:live']);
    }
  });

  it('end for all: every local track ends, transports close, and the server holds no media for the call', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    expect(suite.t.app.get(MediaService).counts(callId)).toMatchObject({ peers: 2, transports: 4, producers: 4, consumers: 4 });
    expect(await alice.transportsClosed()).toBe(false);

    await bob.click('end'); // either side may end a 1:1
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);

    for (const side of [alice, bob]) {
      await expectCaptureReleased(side);
      expect(await side.callId()).toBeNull();
      expect(await side.page.getByTestId('remote-tile').count()).toBe(0);
    }
    expect((await alice.lastEnd())?.reason).toBe('completed');
    await expectServerMediaReleased(suite.t.app, callId);
  });

  it('mute and camera off stop what the peer receives; camera off releases the camera', async () => {
    const { alice, bob } = await startOneToOneVideoCall(suite);

    await alice.click('mute');
    await bob.waitForEvent('call:media-toggled');
    await new Promise((r) => setTimeout(r, 500)); // packets already in flight
    let audio = (await bob.inboundGrowth()).find((s) => s.kind === 'audio')!;
    expect(audio.packetsDelta).toBe(0);
    expect(await alice.page.getByTestId('mute').innerText()).toBe('Unmute');

    await alice.click('mute');
    await eventually(() => bob.inboundGrowth(1_000), (g) => g.some((s) => s.kind === 'audio' && s.packetsDelta > 0), undefined, 'audio after unmute');

    await alice.click('camera');
    await eventually(() => alice.localTracks(), (tr) => tr.some((x) => x.kind === 'video' && x.readyState === 'ended'), undefined, 'camera track stopped');
    expect((await alice.localTracks()).filter((x) => x.kind === 'video' && x.readyState === 'live')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 500));
    let video = (await bob.inboundGrowth()).find((s) => s.kind === 'video')!;
    expect(video.framesDelta).toBe(0);

    await alice.click('camera');
    await eventually(() => alice.localTracks(), (tr) => tr.some((x) => x.kind === 'video' && x.readyState === 'live'), undefined, 'new camera track');
    video = await eventually(
      async () => (await bob.inboundGrowth(1_000)).find((s) => s.kind === 'video')!,
      (v) => v.framesDelta > 0,
      undefined,
      'video after camera on',
    );
    expect(video.framesDelta).toBeGreaterThan(0);
    audio = (await bob.inboundGrowth()).find((s) => s.kind === 'audio')!;
    expect(audio.packetsDelta).toBeGreaterThan(0);
  });

  it('audio call: audio flows both ways and no camera is opened', async () => {
    const { alice, bob } = await startOneToOneCall(suite, 'audio');
    for (const side of [alice, bob]) {
      await eventually(() => side.inboundStats(), (s) => s.some((x) => x.kind === 'audio' && x.packetsReceived > 0), undefined, 'inbound audio');
      const growth = await side.inboundGrowth();
      expect(growth.map((s) => s.kind)).toEqual(['audio']);
      expect(growth[0].packetsDelta).toBeGreaterThan(0);
      expect((await side.localTracks()).map((tr) => tr.kind)).toEqual(['audio']);
    }
    await alice.click('leave');
    await bob.waitForState('ready');
    expect((await bob.localTracks()).every((tr) => tr.readyState === 'ended')).toBe(true);
  });

  it('rejoining by call id after a reload takes the media kind and the host from the join ack', async () => {
    const { alice, bob } = await startOneToOneCall(suite, 'audio');
    await eventually(() => bob.inboundStats(), (s) => s.some((x) => x.kind === 'audio' && x.packetsReceived > 0), undefined, 'inbound audio');
    const callId = (await bob.callId())!;

    // A reload keeps the seat for the reconnect grace; the page knows nothing of the call any more.
    await bob.page.reload();
    await bob.signIn('bob');
    await bob.joinById(callId);
    await bob.waitForState('in-call');
    expect(await bob.callId()).toBe(callId);
    await eventually(() => bob.inboundStats(), (s) => s.some((x) => x.kind === 'audio' && x.packetsReceived > 0), undefined, 'inbound audio after rejoin');
    expect((await bob.localTracks()).map((tr) => tr.kind)).toEqual(['audio']); // no camera for an audio call
    expect(await bob.page.getByTestId('end').isEnabled()).toBe(true); // either side ends a 1:1
    await eventually(
      async () => (await alice.inboundGrowth(1_000)).filter((s) => s.kind === 'audio' && s.userId === bob.userId && s.packetsDelta > 0),
      (grew) => grew.length === 1,
      undefined,
      "alice receiving bob's audio again",
    );

    await bob.click('end');
    await alice.waitForState('ready');
    expect((await alice.lastEnd())?.reason).toBe('completed');
  });

  it('errors from acks are shown with their code: calling someone who is offline', async () => {
    const alice = await suite.open('alice');
    alice.expectedProblems.push(/User is offline/);
    await alice.call([uniqueUser('nobody')], 'video');
    await alice.page.getByTestId('error').waitFor({ state: 'visible' });
    expect(await alice.page.getByTestId('error').getAttribute('data-code')).toBe('USER_OFFLINE');
    expect(await alice.state()).toBe('ready');
    expect(await alice.callId()).toBeNull();
    expect(await alice.localTracks()).toEqual([]); // no camera for a call that never started
  });
});
