import { browserSuite, eventually, expectCaptureReleased, expectServerMediaReleased, startOneToOneVideoCall } from '../../support/browser';

/** The other ways a call ends must release the camera too, on every side that is still there. */
describe('browser: every way out of a call releases the camera', () => {
  // A short reconnect grace so a vanished page ends the call within the test.
  const suite = browserSuite({ RECONNECT_GRACE_SECONDS: '2' });

  it('the peer leaves a 1:1: the leaver releases at once, the one left behind on call:ended', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);

    await bob.click('leave');
    await bob.waitForState('ready');
    await expectCaptureReleased(bob);
    // The leaver closed on the click; the server's call:ended then gives the call's real end reason.
    expect((await bob.lastEnd())?.reason).toBe('completed');
    expect((await bob.events()).map((e) => e.event)).toContain('call:ended');

    await alice.waitForState('ready');
    await expectCaptureReleased(alice);
    const received = (await alice.events()).map((e) => e.event);
    expect(received).toContain('call:participant-left');
    expect(received).toContain('call:ended');
    expect((await alice.lastEnd())?.reason).toBe('completed');
    await expectServerMediaReleased(suite.t.app, callId);
  });

  it('a page goes away: it releases its own camera on pagehide; the peer sees reconnecting, then connection_lost', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);

    // What the browser fires when the tab is closed or navigated away from.
    await bob.page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }))");
    await expectCaptureReleased(bob);
    expect((await bob.lastEnd())?.reason).toBe('page_closed');

    await bob.page.close({ runBeforeUnload: true });
    await alice.waitForEvent('call:participant-reconnecting');
    const reconnecting = await alice.participants();
    expect(reconnecting.find((p) => p.userId === bob.userId)?.state).toMatch(/reconnecting|left/);

    await alice.waitForState('ready');
    await expectCaptureReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('connection_lost');
    await expectServerMediaReleased(suite.t.app, callId);
  });

  it("the connection drops: the call is closed locally and the camera released; the peer's call ends after the grace", async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);

    bob.expectedProblems.push(/ERR_INTERNET_DISCONNECTED/);
    await bob.context.setOffline(true);
    await bob.waitForState('disconnected');
    await expectCaptureReleased(bob);
    expect((await bob.lastEnd())?.reason).toBe('disconnected');

    await alice.waitForEvent('call:participant-reconnecting');
    await alice.waitForState('ready');
    await expectCaptureReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('connection_lost');
    await expectServerMediaReleased(suite.t.app, callId);
  });

  it('the callee declines: the caller, who was already capturing while it rang, releases the camera', async () => {
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await alice.call([bob.userId], 'video');
    await bob.waitForIncoming();
    await eventually(() => alice.localTracks(), (tr) => tr.length === 2 && tr.every((x) => x.readyState === 'live'), undefined, 'caller preview');
    const callId = (await alice.callId())!;

    await bob.click('decline');
    await alice.waitForState('ready');
    await expectCaptureReleased(alice);
    expect((await alice.lastEnd())?.reason).toBe('declined');
    expect(await bob.state()).toBe('ready');
    expect(await bob.localTracks()).toEqual([]); // bob never opened his camera
    await expectServerMediaReleased(suite.t.app, callId);
  });
});
