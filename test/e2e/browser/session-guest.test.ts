import { MediaService } from '../../../src/media/media.service';
import { bothWays, browserSuite, eventually, expectCaptureReleased, expectReceivingFrom, type ClientPage } from '../../support/browser';

/** The invite link's session and invite, on the test server's own origin (the server's PUBLIC_URL is not that in tests). */
function onTestServer(inviteUrl: string, baseUrl: string): string {
  const { search } = new URL(inviteUrl);
  return `${baseUrl}/${search}`;
}

/** In the waiting room: no seat, no media, no remote tiles; the server refuses media requests. */
async function expectHeldInWaitingRoom(guest: ClientPage, callId: string): Promise<void> {
  await guest.waitForState('waiting');
  expect(await guest.waitingFor()).toBe(callId);
  expect(await guest.inboundStats()).toEqual([]);
  expect(await guest.page.getByTestId('remote-tile').count()).toBe(0);
  expect(await guest.transportsClosed()).toBe(true);
  expect(await guest.page.getByTestId('waiting-room').isVisible()).toBe(true);
  expect(await guest.probeMediaRequest()).toBe('FORBIDDEN');
}

/**
 * A therapist schedules a session in the client and starts it; a guest opens the invite link,
 * checks their camera, and waits in the waiting room until admitted; the therapist sends the
 * guest back and admits them again, then ends the session for all.
 */
describe('browser: a scheduled session with a guest from an invite link', () => {
  const suite = browserSuite();

  it('waiting room without media, admit, media both ways, send back releases the camera, admit again, end for all', async () => {
    const host = await suite.openHost('therapist');
    const row = await host.scheduleSession('Tuesday group');
    const callId = (await row.getAttribute('data-call-id'))!;
    expect(callId).toBeTruthy();
    const inviteUrl = (await row.getByTestId('session-invite-link').innerText()).trim();
    expect(inviteUrl).toMatch(/[?&]session=.+&invite=/);

    await row.getByTestId('session-start').click();
    await host.waitForState('in-call');
    expect(await host.callId()).toBe(callId);
    expect(await host.endsAt()).toBeTruthy();
    expect(await host.page.getByTestId('host-panel').isVisible()).toBe(true);
    expect(await host.page.getByTestId('session-countdown').innerText()).toMatch(/^\d+:\d\d$/);

    // The guest opens the link: the camera check runs, and stops when they join.
    const guest = await suite.openGuest(onTestServer(inviteUrl, suite.t.url), 'Guest');
    await eventually(() => guest.previewLive(), (live) => live, undefined, 'the camera preview');
    const guestId = await guest.joinAsGuest('Sam');
    expect(guestId).toMatch(/^guest-/);
    expect(await guest.previewLive()).toBe(false);
    await expectHeldInWaitingRoom(guest, callId);
    expect(await guest.localTracks()).toEqual([]);
    // Exchanged: the invite is gone from the address bar (and so from a copied link and the history entry).
    expect(new URL(guest.page.url()).searchParams.get('invite')).toBeNull();
    expect(new URL(guest.page.url()).searchParams.get('session')).toBeTruthy();

    // The host sees the knock and admits.
    await host.waitingRow(guestId).waitFor({ state: 'visible' });
    expect(await host.waitingList()).toEqual([{ userId: guestId, name: 'Sam' }]);
    await host.waitingRow(guestId).getByTestId('admit').click();

    await guest.waitForState('in-call');
    await Promise.all([guest.waitForDecodedVideo(1), host.waitForDecodedVideo(1)]);
    // Who hosts is the server's word, shown as a badge: the guest sees it on the host's tile, and nobody's name can draw it.
    const badge = (page: typeof host, userId: string) => page.page.locator(`[data-testid="remote-tile"][data-user-id="${userId}"] [data-testid="host-badge"]`);
    expect(await badge(guest, host.userId).isVisible()).toBe(true);
    expect(await badge(host, guestId).isVisible()).toBe(false);
    for (const [me, other] of bothWays(host, guest)) await expectReceivingFrom(me, other);
    expect(await host.waitingList()).toEqual([]);
    expect(await guest.page.getByTestId('host-panel').isVisible()).toBe(false);
    expect(await guest.page.getByTestId('end').isDisabled()).toBe(true);

    // Sent back: the guest's media stops and its camera and microphone are released.
    await host.tileControl(guestId, 'tile-send-back').click();
    await guest.waitForState('waiting');
    await expectCaptureReleased(guest);
    await expectHeldInWaitingRoom(guest, callId);
    await eventually(() => host.page.getByTestId('remote-tile').count(), (n) => n === 0, undefined, 'the guest tile gone on the host');
    await eventually(() => host.inboundStats(), (s) => s.length === 0, undefined, 'no inbound media on the host');
    expect(await host.state()).toBe('in-call');

    // Admitted again: a new seat with new media both ways.
    await host.waitingRow(guestId).getByTestId('admit').click();
    await guest.waitForState('in-call');
    await Promise.all([guest.waitForDecodedVideo(1), host.waitForDecodedVideo(1)]);
    for (const [me, other] of bothWays(host, guest)) await expectReceivingFrom(me, other);

    // The therapist ends the session for all.
    await host.click('end');
    await Promise.all([host.waitForState('ready'), guest.waitForState('ready')]);
    for (const p of [host, guest]) {
      await expectCaptureReleased(p);
      expect(await p.inboundStats()).toEqual([]);
    }
    expect((await host.lastEnd())?.reason).toBe('completed');
    expect((await guest.lastEnd())?.reason).toBe('completed');
    expect(await guest.page.getByTestId('guest-entry').isVisible()).toBe(true);
    await eventually(async () => suite.t.app.get(MediaService).counts(callId), (c) => c === undefined, 10_000, 'no media left for the call');
  });
});

describe('browser: session host controls', () => {
  // A warning 1780 s before the end: 20 s into a 30-minute session, once the guests wait or sit in it.
  const suite = browserSuite({ SESSION_WARNING_SECONDS: '1780' });

  it('deny, admit all, mute, lock, extend, a time warning and remove', async () => {
    const host = await suite.openHost('therapist');
    const row = await host.scheduleSession('Thursday group');
    const callId = (await row.getAttribute('data-call-id'))!;
    const inviteUrl = onTestServer((await row.getByTestId('session-invite-link').innerText()).trim(), suite.t.url);
    await row.getByTestId('session-start').click();
    await host.waitForState('in-call');

    const [denied, admitted] = await Promise.all([suite.openGuest(inviteUrl, 'Denied'), suite.openGuest(inviteUrl, 'Admitted')]);
    const deniedId = await denied.joinAsGuest('Dana');
    const admittedId = await admitted.joinAsGuest('Alex');
    await Promise.all([denied.waitForState('waiting'), admitted.waitForState('waiting')]);
    await eventually(() => host.waitingList(), (l) => l.length === 2, undefined, 'two people waiting');

    // Deny: back to the entry screen with a message; gone from the host's waiting room.
    await host.waitingRow(deniedId).getByTestId('deny').click();
    await denied.waitForState('ready');
    expect((await denied.lastEnd())?.reason).toBe('lobby_denied');
    expect(await denied.status()).toMatch(/did not let you in/i);
    expect(await denied.page.getByTestId('guest-entry').isVisible()).toBe(true);
    expect(await host.waitingList()).toEqual([{ userId: admittedId, name: 'Alex' }]);

    // Admit all.
    await host.page.getByTestId('admit-all').click();
    await admitted.waitForState('in-call');
    await Promise.all([admitted.waitForDecodedVideo(1), host.waitForDecodedVideo(1)]);
    expect(await host.waitingList()).toEqual([]);

    // Mute mic from the host: the guest's button says Unmute, and the host sees the badge.
    expect(await admitted.page.getByTestId('mute').innerText()).toBe('Mute');
    await host.tileControl(admittedId, 'tile-mute').click();
    await eventually(() => admitted.page.getByTestId('mute').innerText(), (t) => t === 'Unmute', undefined, 'the mute button to follow the host');
    await eventually(() => admitted.events(), (ev) => ev.some((e) => e.event === 'host:muted'), undefined, 'host:muted');

    // The time warning configured for this suite shows on both pages.
    for (const p of [host, admitted]) {
      await p.page.getByTestId('session-warning').waitFor({ state: 'visible' });
      expect(await p.page.getByTestId('session-warning').innerText()).toMatch(/session ends in/i);
    }

    // Lock and extend; everyone's countdown follows the new end (and the warning goes).
    await host.page.getByTestId('lock-toggle').click();
    await eventually(() => host.page.getByTestId('lock-toggle').getAttribute('aria-pressed'), (v) => v === 'true', undefined, 'locked');
    const before = Date.parse((await host.endsAt())!);
    await host.page.getByTestId('extend').click();
    for (const p of [host, admitted]) {
      await eventually(async () => Date.parse((await p.endsAt()) ?? '0'), (t) => t === before + 10 * 60_000, undefined, `${p.userId} sees the extension`);
      expect(await p.page.getByTestId('session-warning').isVisible()).toBe(false);
    }

    // Remove: the guest leaves through the one close path, with a message.
    await host.tileControl(admittedId, 'tile-remove').click();
    await admitted.waitForState('ready');
    await expectCaptureReleased(admitted);
    expect((await admitted.lastEnd())?.reason).toBe('removed');
    expect(await admitted.status()).toMatch(/removed you/i);
    await eventually(() => host.page.getByTestId('remote-tile').count(), (n) => n === 0, undefined, 'no tile left on the host');
    expect(await host.state()).toBe('in-call');
    expect(await host.callId()).toBe(callId);
  });
});
