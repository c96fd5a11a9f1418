import { browserSuite, uniqueUser } from '../../support/browser';

/** The presence panel and a user signed in on two devices, in real Chromium pages. */
describe('browser: presence and devices', () => {
  const suite = browserSuite();

  it('shows who is online and busy, calls from the panel, and drops users who leave', async () => {
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await alice.waitForPresence(bob.userId, 'online');
    await bob.waitForPresence(alice.userId, 'online');
    expect(await alice.presenceStatus(alice.userId)).toBeNull(); // nobody is listed to themselves
    expect(await alice.page.getByTestId(`presence-call-${bob.userId}`).isEnabled()).toBe(true);

    const carol = await suite.open('carol');
    await alice.callFromPresence(bob.userId);
    await bob.waitForIncoming();
    expect(await bob.page.getByTestId('incoming-text').innerText()).toContain('video');

    // Ringing already makes both of them busy for everyone else.
    await carol.waitForPresence(alice.userId, 'busy');
    await carol.waitForPresence(bob.userId, 'busy');
    expect(await carol.page.getByTestId(`presence-call-${bob.userId}`).isDisabled()).toBe(true);
    expect(await carol.page.getByTestId(`presence-call-${alice.userId}`).isDisabled()).toBe(true);

    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    expect((await alice.localTracks()).map((tr) => tr.kind).sort()).toEqual(['audio', 'video']);
    expect(await carol.presenceStatus(alice.userId)).toBe('busy');
    expect(await carol.presenceStatus(bob.userId)).toBe('busy');
    await alice.waitForPresence(carol.userId, 'online'); // the panel stays up during the call

    await alice.click('end');
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);
    await carol.waitForPresence(alice.userId, 'online');
    await carol.waitForPresence(bob.userId, 'online');
    expect(await carol.page.getByTestId(`presence-call-${bob.userId}`).isEnabled()).toBe(true);

    await bob.close();
    await carol.waitForPresence(bob.userId, null);
    await alice.waitForPresence(bob.userId, null);
    expect(await carol.presenceStatus(alice.userId)).toBe('online');
    expect((await carol.presence()).map((u) => u.userId)).toEqual([alice.userId]);
  });

  it('a user on two devices: both ring, one answers, the other stops ringing and the call connects', async () => {
    const alice = await suite.open('alice');
    const bobId = uniqueUser('bob');
    const bobPhone = await suite.open('bob', bobId);
    const bobLaptop = await suite.open('bob', bobId);
    await alice.waitForPresence(bobId, 'online');

    await alice.callFromPresence(bobId);
    await Promise.all([bobPhone.waitForIncoming(), bobLaptop.waitForIncoming()]);
    const callId = (await alice.callId())!;
    expect(callId).toBeTruthy();

    await bobPhone.answer();
    await bobLaptop.waitForEvent('call:answered-elsewhere');
    await bobLaptop.waitForState('ready');
    await bobLaptop.page.getByTestId('incoming').waitFor({ state: 'hidden' });
    expect(await bobLaptop.page.getByTestId('error').isHidden()).toBe(true);
    expect(await bobLaptop.callId()).toBeNull();
    expect(await bobLaptop.localTracks()).toEqual([]); // the device that did not answer never opened a camera
    expect((await bobLaptop.events()).find((e) => e.event === 'call:answered-elsewhere')?.callId).toBe(callId);
    expect((await bobPhone.events()).map((e) => e.event)).not.toContain('call:answered-elsewhere');

    expect(await bobPhone.callId()).toBe(callId);
    await Promise.all([alice.waitForDecodedVideo(1), bobPhone.waitForDecodedVideo(1)]);
    const video = (await alice.inboundGrowth()).filter((s) => s.kind === 'video');
    expect(video).toHaveLength(1);
    expect(video[0].userId).toBe(bobId);
    expect(video[0].framesDelta).toBeGreaterThan(0);
    await bobLaptop.waitForPresence(alice.userId, 'busy');
    expect(await bobLaptop.state()).toBe('ready');
  });
});
