import { liveCalls } from '../../support/app';
import { bothWays, browserSuite, eventually, expectCaptureReleased, expectReceivingFrom, startOneToOneVideoCall } from '../../support/browser';

/**
 * A user in a call joins the same call from another device: the seat moves there. The first
 * device gets `call:answered-elsewhere`, leaves the call UI and releases camera and microphone,
 * without `call:leave` (the seat is the other device's now); media flows with the new device.
 */
describe('browser: another device of the same user takes over the seat', () => {
  const suite = browserSuite();

  it('the first device releases its camera and says the call continued elsewhere; the second has media with the peer', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    const aliceBefore = (await alice.inboundStats()).map((s) => s.consumerId);

    // bob opens the client on a second device and joins the same call by its id.
    const bob2 = await suite.open('bob', bob.userId);
    await bob2.joinById(callId);
    await bob2.waitForState('in-call');

    // Device 1: out of the call, camera and microphone released, a neutral message.
    await bob.waitForState('ready');
    await expectCaptureReleased(bob);
    expect(await bob.callId()).toBeNull();
    expect(await bob.page.getByTestId('remote-tile').count()).toBe(0);
    expect(await bob.status()).toMatch(/continued on another device/i);
    expect(await bob.page.getByTestId('error').isVisible()).toBe(false);
    expect((await bob.lastEnd())?.reason).toBe('continued_elsewhere');
    expect((await bob.events()).map((e) => e.event)).toContain('call:answered-elsewhere');

    // The seat is device 2's: the call goes on with bob still in it (device 1 sent no call:leave).
    const call = liveCalls(suite.t.app).get(callId);
    expect(call?.status).toBe('active');
    expect(call?.participants.get(bob.userId)?.state).toBe('joined');

    // Device 2 and alice see and hear each other (alice on a new stream from bob's new device).
    await bob2.waitForDecodedVideo(1);
    await alice.waitForDecodedVideo(1, undefined, 50, aliceBefore);
    for (const [me, other] of bothWays(alice, bob2)) {
      await expectReceivingFrom(me, other);
      expect(await me.page.getByTestId('remote-tile').count()).toBe(1);
      expect(await me.state()).toBe('in-call');
    }
    expect((await alice.lastEnd())).toBeNull();

    // When the call ends later, device 1 hears nothing of it (its seat was taken: no more of
    // that call's events) and keeps its message.
    const heardBefore = (await bob.events()).length;
    await alice.click('end');
    await bob2.waitForState('ready');
    expect((await bob2.lastEnd())?.reason).toBe('completed');
    await new Promise((r) => setTimeout(r, 500));
    expect((await bob.events()).slice(heardBefore).filter((e) => e.callId !== undefined)).toEqual([]);
    expect(await bob.status()).toMatch(/continued on another device/i);
    expect((await bob.lastEnd())?.reason).toBe('continued_elsewhere');
  });
});
