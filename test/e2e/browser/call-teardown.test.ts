import type { Browser } from 'playwright-core';
import { MediaService } from '../../../src/media/media.service';
import { startTestApp, type TestApp } from '../../support/app';
import { ClientPage, endLiveCalls, eventually, launchChromium, uniqueUser } from '../../support/browser';

/** The other ways a call ends must release the camera too, on every side that is still there. */
describe('browser: every way out of a call releases the camera', () => {
  let t: TestApp;
  let browser: Browser;
  let pages: ClientPage[] = [];

  const open = async (name: string) => {
    const client = await ClientPage.open(browser, t.url, uniqueUser(name), name);
    pages.push(client);
    return client;
  };

  const videoCall = async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await alice.call([bob.userId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    for (const p of [alice, bob]) expect((await p.localTracks()).every((tr) => tr.readyState === 'live')).toBe(true);
    return { alice, bob, callId: (await alice.callId())! };
  };

  const expectReleased = async (p: ClientPage) => {
    const tracks = await p.localTracks();
    expect(tracks.map((tr) => tr.kind).sort()).toEqual(['audio', 'video']);
    expect(tracks.filter((tr) => tr.readyState !== 'ended')).toEqual([]);
    expect(await p.transportsClosed()).toBe(true);
  };

  const expectServerEmpty = async (callId: string) => {
    const media = t.app.get(MediaService);
    expect(media.counts(callId)).toBeUndefined();
    await eventually(() => media.liveObjects(), (o) => o.routers === 0, 10_000, 'no live mediasoup objects');
    expect(await media.liveObjects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  };

  beforeAll(async () => {
    // A short reconnect grace so a vanished page ends the call within the test.
    t = await startTestApp({ RECONNECT_GRACE_SECONDS: '2' });
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

  it('the peer leaves a 1:1: the leaver releases at once, the one left behind on call:ended', async () => {
    const { alice, bob, callId } = await videoCall();

    await bob.click('leave');
    await bob.waitForState('ready');
    await expectReleased(bob);
    // The leaver closed on the click; the server's call:ended then gives the call's real end reason.
    expect((await bob.lastEnd())?.reason).toBe('completed');
    expect((await bob.events()).map((e) => e.event)).toContain('call:ended');

    await alice.waitForState('ready');
    await expectReleased(alice);
    const received = (await alice.events()).map((e) => e.event);
    expect(received).toContain('call:participant-left');
    expect(received).toContain('call:ended');
    expect((await alice.lastEnd())?.reason).toBe('completed');
    await expectServerEmpty(callId);
  });

  it('a page goes away: it releases its own camera on pagehide; the peer sees reconnecting, then connection_lost', async () => {
    const { alice, bob, callId } = await videoCall();

    // What the browser fires when the tab is closed or navigated away from.
    await bob.page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }))");
    await expectReleased(bob);
    expect((await bob.lastEnd())?.reason).toBe('page_closed');

    await bob.page.close({ runBeforeUnload: true });
    await alice.waitForEvent('call:participant-reconnecting');
    const reconnecting = await alice.participants();
    expect(reconnecting.find((p) => p.userId === bob.userId)?.state).toMatch(/reconnecting|left/);

    await alice.waitForState('ready');
    await expectReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('connection_lost');
    await expectServerEmpty(callId);
  });

  it("the connection drops: the call is closed locally and the camera released; the peer's call ends after the grace", async () => {
    const { alice, bob, callId } = await videoCall();

    bob.expectedProblems.push(/ERR_INTERNET_DISCONNECTED/);
    await bob.context.setOffline(true);
    await bob.waitForState('disconnected');
    await expectReleased(bob);
    expect((await bob.lastEnd())?.reason).toBe('disconnected');

    await alice.waitForEvent('call:participant-reconnecting');
    await alice.waitForState('ready');
    await expectReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('connection_lost');
    await expectServerEmpty(callId);
  });

  it('the callee declines: the caller, who was already capturing while it rang, releases the camera', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await alice.call([bob.userId], 'video');
    await bob.waitForIncoming();
    await eventually(() => alice.localTracks(), (tr) => tr.length === 2 && tr.every((x) => x.readyState === 'live'), undefined, 'caller preview');
    const callId = (await alice.callId())!;

    await bob.click('decline');
    await alice.waitForState('ready');
    await expectReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('declined');
    expect(await bob.state()).toBe('ready');
    expect(await bob.localTracks()).toEqual([]); // bob never opened his camera
    await expectServerEmpty(callId);
  });
});
