import { MediaService } from '../../../src/media/media.service';
import { devToken, liveCalls } from '../../support/app';
import {
  WAIT_MS,
  bothWays,
  browserSuite,
  eventually,
  expectReceivingFrom,
  startOneToOneVideoCall,
  uniqueUser,
  type ClientPage,
} from '../../support/browser';

/**
 * The mediasoup worker carrying a call is SIGKILLed: the server moves the call to another worker
 * and sends `media:reconnect`; both pages rebuild their media with the same local tracks, without
 * user action, and the call goes on.
 */
describe('browser: a media worker dies mid-call', () => {
  const suite = browserSuite({ WORKER_RESPAWN_DELAY_MS: '200' });

  const consumerIds = async (p: ClientPage) => (await p.inboundStats()).map((s) => s.consumerId);

  /** SIGKILLs the worker hosting the call; returns its pid and Date.now() just before the kill. */
  const killHost = (callId: string) => {
    const victim = suite.t.app.get(MediaService).room(callId).host.pid;
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    return { victim, killedAt };
  };

  /** The server re-created both peers' media on a live worker. */
  const expectServerMediaRebuilt = async (callId: string, victim: number, expected = { producers: 4, consumers: 4 }) => {
    const media = suite.t.app.get(MediaService);
    expect(media.room(callId).host.pid).not.toBe(victim);
    await eventually(async () => media.counts(callId), (c) => c?.peers === 2 && c.transports === 4 && c.producers === expected.producers && c.consumers === expected.consumers, undefined, 'media re-created on the server');
    expect(liveCalls(suite.t.app).get(callId)?.status).toBe('active');
  };

  /** Still in the same call: nothing ended, the local tracks are the ones from before (still live). */
  const expectCallGoesOn = async (me: ClientPage, callId: string) => {
    expect(await me.state()).toBe('in-call');
    expect(await me.callId()).toBe(callId);
    expect(await me.lastEnd()).toBeNull();
    const received = (await me.events()).map((e) => e.event);
    expect(received).toContain('media:reconnect');
    expect(received).not.toContain('call:ended');
    await eventually(() => me.mediaReconnecting(), (r) => !r, undefined, `${me.userId} done reconnecting`);
    expect(await me.mediaReconnects()).toBeGreaterThanOrEqual(1);
  };

  it('both pages decode each other again on new streams, the tiles play live tracks, and the call stays active', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    const before = new Map([
      [alice, await consumerIds(alice)],
      [bob, await consumerIds(bob)],
    ]);
    expect(before.get(alice)).toHaveLength(2);

    // Poll for the first frame on a new stream from before the kill, every 20 ms.
    const firstFrames = [alice, bob].map((p) => p.waitForDecodedVideo(1, WAIT_MS, 20, before.get(p)));
    const { victim, killedAt } = killHost(callId);
    const [aliceAt, bobAt] = await Promise.all(firstFrames);
    console.log(
      `worker SIGKILL -> first remote frame decoded on a new stream: alice ${aliceAt - killedAt} ms, bob ${bobAt - killedAt} ms (target 3000 ms)`,
    );

    await expectServerMediaRebuilt(callId, victim);
    for (const [me, other] of bothWays(alice, bob)) {
      await expectCallGoesOn(me, callId);
      const growth = await me.inboundGrowth();
      const video = growth.filter((s) => s.kind === 'video');
      const audio = growth.filter((s) => s.kind === 'audio');
      expect(video).toHaveLength(1);
      expect(audio).toHaveLength(1);
      for (const s of [...video, ...audio]) {
        expect(s.userId).toBe(other.userId);
        expect(before.get(me)).not.toContain(s.consumerId); // new consumers, on the new worker
      }
      expect(video[0].framesDelta).toBeGreaterThan(0);
      expect(audio[0].packetsDelta).toBeGreaterThan(0);
      expect(audio[0].bytesDelta).toBeGreaterThan(0);

      // The same tile, now playing the new tracks only: nothing frozen from before.
      expect(await me.page.getByTestId('remote-tile').count()).toBe(1);
      const tile = (await me.tileTracks(other.userId))!;
      expect(tile.video.map((tr) => `${tr.kind}:${tr.readyState}`)).toEqual(['video:live']);
      expect(tile.audio.map((tr) => `${tr.kind}:${tr.readyState}`)).toEqual(['audio:live']);

      // The camera and microphone were never reopened: the same two tracks, still live.
      expect((await me.localTracks()).map((tr) => `${tr.kind}:${tr.readyState}`).sort()).toEqual(['audio:live', 'video:live']);
      expect(await me.transportsClosed()).toBe(false);
    }

    // The call still ends normally afterwards.
    await alice.click('end');
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);
    expect((await bob.lastEnd())?.reason).toBe('completed');
  });

  it('a muted microphone stays muted and a camera that was off stays off; both come back on request', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    await alice.click('mute');
    await alice.click('camera');
    await eventually(() => alice.localTracks(), (tr) => tr.some((x) => x.kind === 'video' && x.readyState === 'ended'), undefined, 'camera released');
    await eventually(() => bob.events(), (ev) => ev.filter((e) => e.event === 'call:media-toggled').length >= 2, undefined, 'bob told of mute and camera off');

    const bobBefore = await consumerIds(bob);
    const { victim } = killHost(callId);
    await alice.waitForDecodedVideo(1, WAIT_MS, 50, await consumerIds(alice)); // bob's video on a new stream
    // alice's camera is off, so it is not produced again (until she turns it on): one producer fewer.
    await expectServerMediaRebuilt(callId, victim, { producers: 3, consumers: 3 });
    for (const me of [alice, bob]) await expectCallGoesOn(me, callId);

    // Still muted and camera off: bob consumes alice's audio again, but it is paused, and there is no video from her.
    expect(await alice.page.getByTestId('mute').innerText()).toBe('Unmute');
    expect(await alice.page.getByTestId('camera').innerText()).toBe('Camera on');
    await eventually(() => bob.tileTracks(alice.userId), (tile) => tile?.audio.length === 1 && tile.audio[0].readyState === 'live', undefined, "bob consuming alice's new audio");
    expect((await bob.tileTracks(alice.userId))?.video).toEqual([]);
    await new Promise((r) => setTimeout(r, 500)); // packets in flight
    let growth = await bob.inboundGrowth();
    expect(growth.filter((s) => s.kind === 'video')).toEqual([]);
    // A paused stream may have no inbound-rtp stats at all (nothing ever arrived), or some that do not grow.
    for (const s of growth.filter((x) => x.kind === 'audio')) expect(s.packetsDelta).toBe(0);
    expect((await alice.localTracks()).filter((x) => x.readyState === 'live').map((x) => x.kind)).toEqual(['audio']);

    // Unmute and camera on: bob receives both again.
    await alice.click('mute');
    await alice.click('camera');
    await bob.waitForDecodedVideo(1, WAIT_MS, 50, bobBefore);
    growth = await eventually(
      () => bob.inboundGrowth(1_000),
      (g) => g.some((s) => s.kind === 'audio' && s.packetsDelta > 0) && g.some((s) => s.kind === 'video' && s.framesDelta > 0),
      undefined,
      "alice's audio and video after unmute and camera on",
    );
    expect(growth.filter((s) => s.kind === 'video')).toHaveLength(1);
  });

  it('an operator drains the worker with migration: the same rebuild, on the worker the call moved to', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    const before = new Map([
      [alice, await consumerIds(alice)],
      [bob, await consumerIds(bob)],
    ]);
    const host = suite.t.app.get(MediaService).room(callId).host.pid;
    const admin = await devToken(suite.t.url, uniqueUser('operator'), 'Operator', 'admin');
    const res = await fetch(`${suite.t.url}/api/admin/workers/${host}/drain?migrate=true`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(await res.json()).toMatchObject({ pid: host, migratedCalls: 1 });

    await Promise.all([alice, bob].map((p) => p.waitForDecodedVideo(1, WAIT_MS, 50, before.get(p))));
    await expectServerMediaRebuilt(callId, host);
    for (const [me, other] of bothWays(alice, bob)) {
      await expectCallGoesOn(me, callId);
      const growth = await expectReceivingFrom(me, other, `${me.userId} receiving from ${other.userId} after the move`);
      for (const s of growth) expect(before.get(me)).not.toContain(s.consumerId);
      expect((await me.localTracks()).map((tr) => `${tr.kind}:${tr.readyState}`).sort()).toEqual(['audio:live', 'video:live']);
    }
  });
});
