import type { Browser } from 'playwright-core';
import { MediaService } from '../../../src/media/media.service';
import { startTestApp, type TestApp } from '../../support/app';
import { ClientPage, endLiveCalls, eventually, launchChromium, uniqueUser } from '../../support/browser';

/** Three real Chromium pages in one call through the real SFU. */
describe('browser: group calls', () => {
  let t: TestApp;
  let browser: Browser;
  let pages: ClientPage[] = [];

  const open = async (name: string) => {
    const client = await ClientPage.open(browser, t.url, uniqueUser(name), name);
    pages.push(client);
    return client;
  };

  /** alice calls bob and carol (comma-separated in the callee field); both answer. */
  const groupCall = async () => {
    const [alice, bob, carol] = await Promise.all([open('alice'), open('bob'), open('carol')]);
    await alice.call([bob.userId, carol.userId], 'video');
    await Promise.all([bob.answer(), carol.answer()]);
    await Promise.all([alice, bob, carol].map((p) => p.waitForDecodedVideo(2)));
    const callId = (await alice.callId())!;
    return { alice, bob, carol, everyone: [alice, bob, carol], callId };
  };

  beforeAll(async () => {
    t = await startTestApp();
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const p of pages) if (p.problems.length) console.log(`[${p.userId}] page problems:\n  ${p.problems.join('\n  ')}`);
    await Promise.all(pages.map((p) => p.close()));
    pages = [];
    await endLiveCalls(t);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('everyone decodes everyone: two growing remote videos and audios on every page', async () => {
    const { everyone, callId } = await groupCall();
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
    const media = t.app.get(MediaService);
    expect(media.counts(callId)).toMatchObject({ peers: 3, transports: 6, producers: 6, consumers: 12 });
  });

  it('the host ends it for all: every page releases its camera and the server releases every media object', async () => {
    const { alice, everyone, callId } = await groupCall();
    for (const p of everyone) expect(await p.transportsClosed()).toBe(false);

    await alice.click('end');
    await Promise.all(everyone.map((p) => p.waitForState('ready')));

    for (const p of everyone) {
      const tracks = await p.localTracks();
      expect(tracks.map((tr) => tr.kind).sort()).toEqual(['audio', 'video']);
      expect(tracks.every((tr) => tr.readyState === 'ended')).toBe(true);
      expect(await p.transportsClosed()).toBe(true);
      expect(await p.inboundStats()).toEqual([]);
      expect((await p.lastEnd())?.reason).toBe('completed');
    }
    const media = t.app.get(MediaService);
    expect(media.counts(callId)).toBeUndefined();
    await eventually(() => media.liveObjects(), (o) => o.routers === 0, 10_000, 'no live mediasoup objects');
    expect(await media.liveObjects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('only the host may end a group call; a guest leaving keeps it going for the others', async () => {
    const { alice, bob, carol } = await groupCall();
    expect(await bob.page.getByTestId('end').isDisabled()).toBe(true);

    await bob.click('leave');
    await bob.waitForState('ready');
    expect((await bob.localTracks()).every((tr) => tr.readyState === 'ended')).toBe(true);
    expect(await bob.transportsClosed()).toBe(true);

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
    const { alice, carol, callId } = await groupCall();
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
