import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CallService } from '../../src/calls/call.service';
import { MediaService } from '../../src/media/media.service';
import { AdminPage } from './admin-page';
import { startTestApp, type TestApp, liveCalls } from './app';
import { launchChromium, uniqueUser, WAIT_MS, eventually } from './chromium';
import { ClientPage } from './client-page';

// The browser tests import everything from here; each page type lives in its own module.
export { AdminPage } from './admin-page';
export { CHROMIUM_ARGS, eventually, launchChromium, uniqueUser, WAIT_MS } from './chromium';
export { ClientPage } from './client-page';

/** Ends, as an admin, every call still live on the server (cleanup after a failed test), exactly as `POST /api/calls/:id/end` does. */
export async function endLiveCalls(t: TestApp): Promise<void> {
  const calls = t.app.get(CallService);
  for (const id of liveCalls(t.app).liveCallIds()) {
    try {
      calls.end({ userId: 'test-cleanup', name: 'test cleanup', role: 'admin' }, id);
    } catch {
      // ended meanwhile
    }
  }
}

/** A describe block's server and pages (see `browserSuite`). */
export type BrowserSuite = ReturnType<typeof browserSuite>;

/**
 * Registers a describe block's hooks: one server (with config `overrides`) and one Chromium for
 * all its tests; after each test, prints its pages' problems, closes them and ends any call it left live.
 */
export function browserSuite(
  overrides: Parameters<typeof startTestApp>[0] = {},
  /** Extra Chromium flags, and the address pages open instead of the server's loopback URL (e.g. an https name). */
  opts: { chromiumArgs?: string[]; baseUrl?: (t: TestApp) => string } = {},
) {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  let pages: Array<ClientPage | AdminPage> = [];
  let bare: BrowserContext[] = [];
  const base = () => (opts.baseUrl ? opts.baseUrl(t!) : t!.url);
  const track = <P extends ClientPage | AdminPage>(p: P): P => {
    pages.push(p);
    return p;
  };

  beforeAll(async () => {
    t = await startTestApp(overrides);
    browser = await launchChromium(opts.chromiumArgs);
  });

  afterEach(async () => {
    for (const p of pages) if (p.problems.length) console.log(`[${p.userId}] page problems:\n  ${p.problems.join('\n  ')}`);
    await Promise.all([...pages.map((p) => p.close()), ...bare.map((c) => c.close().catch(() => undefined))]);
    pages = [];
    bare = [];
    if (t) await endLiveCalls(t);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  return {
    /** The suite's server (started in `beforeAll`: use it inside tests). */
    get t(): TestApp {
      return t!;
    },
    /** Opens the call page signed in as a new user named `name`, or as `userId` (e.g. a second device); closed after the test. */
    open: async (name: string, userId = uniqueUser(name)) => track(await ClientPage.open(browser!, base(), userId, name)),
    /** A plain page at `path` of the server, in its own context, for what the page objects do not cover; closed after the test. */
    openBare: async (path: string): Promise<Page> => {
      const context = await browser!.newContext();
      bare.push(context);
      const page = await context.newPage();
      await page.goto(`${base()}${path}`);
      return page;
    },
    /** Opens the call page signed in with a token handed over in the URL fragment (production sign-in); closed after the test. */
    openWithToken: async (userId: string, token: string) => track(await ClientPage.openWithToken(browser!, base(), userId, token)),
    /** Opens the call page signed in with the host role (a therapist who schedules sessions); closed after the test. */
    openHost: async (name: string) => track(await ClientPage.open(browser!, base(), uniqueUser(name), name, 'host')),
    /** Opens an invite link as a guest (see `ClientPage.openGuest`); closed after the test. */
    openGuest: async (inviteUrl: string, name: string) => track(await ClientPage.openGuest(browser!, inviteUrl, name)),
    /** Opens the admin page as a new operator (see `AdminPage.open`); closed after the test. */
    openAdmin: async (adminOpts: { role?: 'admin' | 'member'; signIn?: boolean } = {}) => track(await AdminPage.open(browser!, base(), uniqueUser('operator'), adminOpts)),
  };
}

/** New pages for alice and bob; alice calls bob through the UI with `media` and bob answers (media may not flow yet). */
export async function startOneToOneCall(suite: BrowserSuite, media: 'video' | 'audio'): Promise<{ alice: ClientPage; bob: ClientPage }> {
  const alice = await suite.open('alice');
  const bob = await suite.open('bob');
  await alice.call([bob.userId], media);
  await bob.answer();
  return { alice, bob };
}

/** alice video-calls bob through the UI and bob answers; resolves once both decode the other's video (their own tracks live). */
export async function startOneToOneVideoCall(suite: BrowserSuite): Promise<{ alice: ClientPage; bob: ClientPage; callId: string }> {
  const { alice, bob } = await startOneToOneCall(suite, 'video');
  await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
  for (const p of [alice, bob]) expect((await p.localTracks()).every((tr) => tr.readyState === 'live')).toBe(true);
  const callId = (await alice.callId())!;
  expect(callId).toBeTruthy();
  return { alice, bob, callId };
}

/** alice calls bob and carol (comma-separated in the callee field); both answer; resolves once everyone decodes both others. */
export async function startGroupCall(suite: BrowserSuite) {
  const [alice, bob, carol] = await Promise.all([suite.open('alice'), suite.open('bob'), suite.open('carol')]);
  await alice.call([bob.userId, carol.userId], 'video');
  await Promise.all([bob.answer(), carol.answer()]);
  await Promise.all([alice, bob, carol].map((p) => p.waitForDecodedVideo(2)));
  const callId = (await alice.callId())!;
  return { alice, bob, carol, everyone: [alice, bob, carol], callId };
}

/** Both directions between two pages, for checks that hold each way: `for (const [me, other] of bothWays(a, b))`. */
export function bothWays<T>(a: T, b: T): Array<readonly [T, T]> {
  return [
    [a, b],
    [b, a],
  ];
}

/** The page opened a camera and a microphone, both tracks have ended, and its transports are closed. */
export async function expectCaptureReleased(p: ClientPage): Promise<void> {
  const tracks = await p.localTracks();
  expect(tracks.map((tr) => tr.kind).sort()).toEqual(['audio', 'video']);
  expect(tracks.filter((tr) => tr.readyState !== 'ended')).toEqual([]);
  expect(await p.transportsClosed()).toBe(true);
}

/** The server holds no media for the call, and soon no mediasoup object at all. */
export async function expectServerMediaReleased(app: INestApplication, callId: string): Promise<void> {
  const media = app.get(MediaService);
  expect(media.counts(callId)).toBeUndefined();
  await eventually(() => media.liveObjects(), (o) => o.routers === 0, 10_000, 'no live mediasoup objects');
  expect(await media.liveObjects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
}

/** Waits until `me` receives growing video and audio, then expects exactly `other`'s two streams; returns the growth. */
export async function expectReceivingFrom(me: ClientPage, other: ClientPage, what = `${me.userId} receiving from ${other.userId}`) {
  const growth = await eventually(
    () => me.inboundGrowth(1_000),
    (g) => g.some((s) => s.kind === 'video' && s.framesDelta > 0) && g.some((s) => s.kind === 'audio' && s.packetsDelta > 0),
    undefined,
    what,
  );
  expect(growth.map((s) => `${s.kind}:${s.userId}`).sort()).toEqual([`audio:${other.userId}`, `video:${other.userId}`]);
  return growth;
}
