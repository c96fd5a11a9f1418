import { MediaService } from '../../../src/media/media.service';
import { browserSuite, eventually, expectCaptureReleased, expectServerMediaReleased, startGroupCall } from '../../support/browser';

/** Three real Chromium pages in one call through the real SFU. */
describe('browser: group calls', () => {
  const suite = browserSuite();

  it('everyone decodes everyone: two growing remote videos and audios on every page', async () => {
    const { everyone, callId } = await startGroupCall(suite);
    for (const me of everyone) {
      expect(await me.callId()).toBe(callId);
      const others = everyone.filter((p) => p !== me).map((p) => p.userId).sort();
      const growth = await me.inboundGrowth();
      const video = growth.filter((s) => s.kind === 'video');
      const audio = growth.filter((s) => s.kind === 'audio');
      expect(video.map((s) => s.userId).sort()).toEqual(others);
      expect(audio.map((s) => s.userId).sort()).toEqual(others);
      for (const s of video) expect(s.framesDelta).toBeGreaterThan(0);
      for (const s of audio) {
        expect(s.bytesDelta).toBeGreaterThan(0);
        expect(s.packetsDelta).toBeGreaterThan(0);
      }
      expect(await me.page.getByTestId('remote-tile').count()).toBe(2);
    }
    expect(suite.t.app.get(MediaService).counts(callId)).toMatchObject({ peers: 3, transports: 6, producers: 6, consumers: 12 });
  });

  it('the host ends it for all: every page releases its camera and the server releases every media object', async () => {
    const { alice, everyone, callId } = await startGroupCall(suite);
    for (const p of everyone) expect(await p.transportsClosed()).toBe(false);

    await alice.click('end');
    await Promise.all(everyone.map((p) => p.waitForState('ready')));

    for (const p of everyone) {
      await expectCaptureReleased(p);
      expect(await p.inboundStats()).toEqual([]);
      expect((await p.lastEnd())?.reason).toBe('completed');
    }
    await expectServerMediaReleased(suite.t.app, callId);
  });

  it('only the host may end a group call; a guest leaving keeps it going for the others', async () => {
    const { alice, bob, carol } = await startGroupCall(suite);
    expect(await bob.page.getByTestId('end').isDisabled()).toBe(true);

    await bob.click('leave');
    await bob.waitForState('ready');
    await expectCaptureReleased(bob);

    for (const p of [alice, carol]) {
      await eventually(() => p.participants(), (ps) => ps.some((x) => x.userId === bob.userId && x.state === 'left'), undefined, 'bob left');
      expect(await p.state()).toBe('in-call');
      await eventually(() => p.page.getByTestId('remote-tile').count(), (n) => n === 1, undefined, 'one remote tile');
      const growth = await p.inboundGrowth();
      const video = growth.filter((s) => s.kind === 'video');
      expect(video).toHaveLength(1);
      expect(video[0].framesDelta).toBeGreaterThan(0);
    }
  });

  it('a guest who rejoins by call id learns the host from the join ack and still cannot end it for all', async () => {
    const { alice, carol, callId } = await startGroupCall(suite);
    await carol.page.reload();
    await carol.signIn('carol');
    await carol.joinById(callId);
    await carol.waitForState('in-call');
    await carol.waitForDecodedVideo(2);
    expect((await carol.localTracks()).map((tr) => tr.kind).sort()).toEqual(['audio', 'video']);
    expect(await carol.page.getByTestId('end').isDisabled()).toBe(true);
    expect(await alice.page.getByTestId('end').isEnabled()).toBe(true);
  });
});
