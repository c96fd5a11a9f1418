import type { INestApplication } from '@nestjs/common';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { HearthAdminDebug } from '../../client/src/admin/debug-api';
import type { AppState, HearthDebug, InboundStat } from '../../client/src/debug-api';
import { CallService } from '../../src/calls/call.service';
import { MediaService } from '../../src/media/media.service';
import { devToken, startTestApp, type TestApp } from './app';

/** Flags for a headless Chromium with fake camera/microphone that auto-grants them. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Remote audio elements play without a click, as they would after the user's answer click.
  '--autoplay-policy=no-user-gesture-required',
];

/** `extraArgs` e.g. map a hostname to loopback (`--host-resolver-rules`) or trust one certificate. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Generous: a loaded 2-core CI machine runs three Chromium pages and the SFU at once. */
export const WAIT_MS = 45_000;

type HearthWindow = typeof globalThis & { __hearth: HearthDebug };
type AdminWindow = typeof globalThis & { __hearthAdmin: HearthAdminDebug };
/** The little of the DOM the page-side helpers use (the tests' tsconfig has no DOM lib). */
type PageTrack = { kind: string; readyState: string; id: string };
type PageMediaElement = { srcObject: { getTracks(): PageTrack[] } | null };
type PageElement = { getAttribute(name: string): string | null; querySelector(selector: string): PageMediaElement | null };
type PageDocument = { querySelector(selector: string): PageElement | null };
type DocumentWindow = typeof globalThis & { document: PageDocument };

/** The presence panel's `data-status` for `userId` in the page, or null when not listed. */
function presenceStatusInPage(userId: string): string | null {
  const selector = `[data-testid=${JSON.stringify(`presence-user-${userId}`)}]`;
  return (globalThis as DocumentWindow).document.querySelector(selector)?.getAttribute('data-status') ?? null;
}

/** The tracks a remote tile plays, per element (its video and its audio element); null when there is no tile. */
function tileTracksInPage(userId: string): { video: PageTrack[]; audio: PageTrack[] } | null {
  const tile = (globalThis as DocumentWindow).document.querySelector(`[data-testid="remote-tile"][data-user-id=${JSON.stringify(userId)}]`);
  if (!tile) return null;
  const tracks = (selector: string) =>
    (tile.querySelector(selector)?.srcObject?.getTracks() ?? []).map((t) => ({ kind: t.kind, readyState: t.readyState, id: t.id }));
  return { video: tracks('video'), audio: tracks('audio') };
}

/** A unique user id per test, so one failed test cannot leave another's users busy. */
export function uniqueUser(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A member of a page's debug hook as read from the test: a method's (awaited) result, else the property. */
type DebugValue<T> = T extends () => infer R ? Awaited<R> : T;

/**
 * A page in its own browser context that records its page errors and console errors/warnings and
 * exposes its read-only debug hook (`window[hook]`, of type `Debug`).
 */
abstract class WatchedPage<Debug> {
  /** Page errors and console errors/warnings, printed after each test. */
  readonly problems: string[] = [];
  /** Console messages a test provokes on purpose (e.g. failed reconnects while offline). */
  readonly expectedProblems: RegExp[] = [];

  protected constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    /** A guest's id is only known once the server hands out their token (see `ClientPage.openGuest`). */
    public userId: string,
  ) {
    page.on('pageerror', (err) => this.problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      const text = `console.${msg.type()}: ${msg.text()}`;
      if (!this.expectedProblems.some((re) => re.test(text))) this.problems.push(text);
    });
  }

  protected abstract readonly hook: '__hearth' | '__hearthAdmin';

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }

  /** The debug hook's `key` (every method there takes no arguments). */
  protected read<K extends keyof Debug & string>(key: K): Promise<DebugValue<Debug[K]>> {
    return this.page.evaluate(
      async ({ hook, key }) => {
        const debug = (globalThis as unknown as Record<string, Record<string, unknown>>)[hook];
        const value = debug[key];
        return typeof value === 'function' ? await (value as () => unknown).call(debug) : value;
      },
      { hook: this.hook, key },
    ) as Promise<DebugValue<Debug[K]>>;
  }
}

/**
 * One user in their own browser context, driving the sample client through its UI and
 * reading its state through `window.__hearth`.
 */
export class ClientPage extends WatchedPage<HearthDebug> {
  protected readonly hook = '__hearth';

  /** Opens the client served by the gateway itself and connects as `userId`. */
  static async open(browser: Browser, baseUrl: string, userId: string, name = userId, role?: 'member' | 'host'): Promise<ClientPage> {
    const context = await browser.newContext();
    const client = new ClientPage(context, await context.newPage(), userId);
    await client.page.goto(baseUrl);
    await client.signIn(name, role);
    return client;
  }

  /**
   * Opens the client the way an embedding app hands over sign-in in production: the token in the
   * URL fragment (`/#token=`), no dev token route involved. Waits until connected.
   */
  static async openWithToken(browser: Browser, baseUrl: string, userId: string, token: string): Promise<ClientPage> {
    const context = await browser.newContext();
    const client = new ClientPage(context, await context.newPage(), userId);
    await client.page.goto(`${baseUrl}/#token=${encodeURIComponent(token)}`);
    await client.waitForState('ready');
    return client;
  }

  /**
   * Opens an invite link as a guest: the entry screen with its camera check. Nothing is sent
   * until `joinAsGuest()`; `userId` is the name until then.
   */
  static async openGuest(browser: Browser, inviteUrl: string, name: string): Promise<ClientPage> {
    const context = await browser.newContext();
    const guest = new ClientPage(context, await context.newPage(), name);
    await guest.page.goto(inviteUrl);
    await guest.waitForState('guest');
    return guest;
  }

  /** Fills in the guest's name and presses Join; resolves with the guest id the server assigned (now `userId`). */
  async joinAsGuest(name: string): Promise<string> {
    await this.page.getByTestId('guest-name').fill(name);
    await this.page.getByTestId('guest-join').click();
    await this.page.waitForFunction(() => (globalThis as HearthWindow).__hearth.userId !== null, undefined, { timeout: WAIT_MS, polling: 50 });
    this.userId = (await this.read('userId'))!;
    return this.userId;
  }

  /** Signs in as this page's user (again, e.g. after a reload) and waits for the lobby. */
  async signIn(name = this.userId, role?: 'member' | 'host'): Promise<void> {
    await this.page.getByTestId('name-input').fill(name);
    await this.page.getByTestId('user-id-input').fill(this.userId);
    if (role) await this.page.getByTestId('role-select').selectOption(role);
    await this.page.getByTestId('connect').click();
    await this.waitForState('ready');
  }

  // ------------------------------------------------------------------ UI actions

  async call(calleeIds: string[], media: 'video' | 'audio' = 'video'): Promise<void> {
    await this.page.getByTestId('callee-input').fill(calleeIds.join(', '));
    await this.page.getByTestId(media === 'video' ? 'call-video' : 'call-audio').click();
  }

  async waitForIncoming(): Promise<void> {
    await this.page.getByTestId('answer').waitFor({ state: 'visible', timeout: WAIT_MS });
  }

  async answer(): Promise<void> {
    await this.waitForIncoming();
    await this.page.getByTestId('answer').click();
  }

  /** Ticks "Relay media through TURN only": this page's next call uses relay candidates only. */
  async forceRelay(): Promise<void> {
    await this.page.getByTestId('force-relay').check();
  }

  async joinById(callId: string): Promise<void> {
    await this.page.getByTestId('join-id-input').fill(callId);
    await this.page.getByTestId('join').click();
  }

  /** Places a video call with the presence panel's Call button next to `userId`. */
  async callFromPresence(userId: string): Promise<void> {
    await this.page.getByTestId(`presence-call-${userId}`).click();
  }

  async click(testId: 'leave' | 'end' | 'mute' | 'camera' | 'decline'): Promise<void> {
    await this.page.getByTestId(testId).click();
  }

  // ------------------------------------------------------------------ reading state

  readonly state = () => this.read('state');
  readonly callId = () => this.read('callId');
  readonly lastEnd = () => this.read('lastEnd');
  readonly joinSentAt = () => this.read('joinSentAt');
  readonly localTracks = () => this.read('localTracks');
  readonly transportsClosed = () => this.read('transportsClosed');
  readonly inboundStats = () => this.read('inboundStats');
  /** The ICE candidate pair each connected transport selected (type, protocol, address, port of both ends). */
  readonly selectedPairs = () => this.read('selectedPairs');
  readonly participants = () => this.read('participants');
  readonly presence = () => this.read('presence');
  readonly events = () => this.read('events');
  readonly mediaReconnecting = () => this.read('mediaReconnecting');
  readonly mediaReconnects = () => this.read('mediaReconnects');
  readonly waitingFor = () => this.read('waitingFor');
  readonly waitingList = () => this.read('waitingList');
  readonly endsAt = () => this.read('endsAt');
  readonly previewLive = () => this.read('previewLive');
  /** `OK` or the error code of a `media:create-transport` sent from this page's socket. */
  readonly probeMediaRequest = () => this.read('probeMediaRequest');

  /** Schedules a session through the therapist's form (start now); resolves with its session list row. */
  async scheduleSession(title: string, durationMinutes = 30): Promise<Locator> {
    await this.page.getByTestId('session-title').fill(title);
    await this.page.getByTestId('session-duration').fill(String(durationMinutes));
    await this.page.getByTestId('schedule-session').click();
    const row = this.page.getByTestId('session-row').filter({ hasText: title });
    await row.waitFor({ state: 'visible', timeout: WAIT_MS });
    return row;
  }

  /** A host's waiting-room row for `userId`. */
  waitingRow(userId: string): Locator {
    return this.page.locator(`[data-testid="waiting-row"][data-user-id="${userId}"]`);
  }

  /** A host's control on the remote tile of `userId`. */
  tileControl(userId: string, testId: 'tile-mute' | 'tile-send-back' | 'tile-remove'): Locator {
    return this.page.locator(`[data-testid="remote-tile"][data-user-id="${userId}"] [data-testid="${testId}"]`);
  }

  /** The presence panel's `data-status` for `userId`, or null when they are not listed. */
  presenceStatus(userId: string): Promise<string | null> {
    return this.page.evaluate(presenceStatusInPage, userId);
  }

  status(): Promise<string> {
    return this.page.getByTestId('status').innerText();
  }

  /** What the remote tile of `userId` plays: the tracks on its video and audio elements (null: no tile). */
  tileTracks(userId: string): Promise<{ video: PageTrack[]; audio: PageTrack[] } | null> {
    return this.page.evaluate(tileTracksInPage, userId);
  }

  // ------------------------------------------------------------------ waiting

  async waitForState(state: AppState, timeout = WAIT_MS): Promise<void> {
    await this.page.waitForFunction((s) => (globalThis as HearthWindow).__hearth.state === s, state, { timeout, polling: 50 });
  }

  /** Waits until the presence panel shows `userId` with `status` (null: not listed, i.e. offline). */
  async waitForPresence(userId: string, status: 'online' | 'busy' | null, timeout = WAIT_MS): Promise<void> {
    await eventually(() => this.presenceStatus(userId), (s) => s === status, timeout, `${this.userId} to see ${userId} as ${status ?? 'offline'}`);
  }

  async waitForEvent(event: string, timeout = WAIT_MS): Promise<void> {
    await this.page.waitForFunction((e) => (globalThis as HearthWindow).__hearth.events().some((r) => r.event === e), event, {
      timeout,
      polling: 50,
    });
  }

  /**
   * Waits until `count` remote video streams have decoded frames; returns Date.now() in the page
   * when first seen. Polls getStats inside the page (waitForFunction does not await promises).
   * Streams of the consumers in `ignoreConsumerIds` (e.g. from before a media reconnect) do not count.
   */
  async waitForDecodedVideo(count: number, timeout = WAIT_MS, polling = 50, ignoreConsumerIds: string[] = []): Promise<number> {
    const seenAt = await this.page.evaluate(
      async ({ n, timeout, polling, ignore }) => {
        const deadline = Date.now() + timeout;
        while (Date.now() < deadline) {
          const stats = await (globalThis as HearthWindow).__hearth.inboundStats();
          if (stats.filter((s) => s.kind === 'video' && s.framesDecoded > 0 && !ignore.includes(s.consumerId)).length >= n) return Date.now();
          await new Promise((r) => setTimeout(r, polling));
        }
        return null;
      },
      { n: count, timeout, polling, ignore: ignoreConsumerIds },
    );
    if (seenAt === null) throw new Error(`${this.userId}: fewer than ${count} remote video streams decoded within ${timeout} ms`);
    return seenAt;
  }

  /** Two getStats samples `intervalMs` apart: how much each inbound stream grew in between. */
  async inboundGrowth(intervalMs = 2_000): Promise<Array<InboundStat & { framesDelta: number; bytesDelta: number; packetsDelta: number }>> {
    const before = await this.inboundStats();
    await new Promise((r) => setTimeout(r, intervalMs));
    const after = await this.inboundStats();
    return after.map((a) => {
      const b = before.find((x) => x.consumerId === a.consumerId);
      return {
        ...a,
        framesDelta: a.framesDecoded - (b?.framesDecoded ?? 0),
        bytesDelta: a.bytesReceived - (b?.bytesReceived ?? 0),
        packetsDelta: a.packetsReceived - (b?.packetsReceived ?? 0),
      };
    });
  }
}

/**
 * The operators' page (`/admin.html`) in its own browser context, signed in with a dev token of
 * `role`, read through the page and `window.__hearthAdmin`.
 */
export class AdminPage extends WatchedPage<HearthAdminDebug> {
  protected readonly hook = '__hearthAdmin';

  /** Opens the page; signs in unless `signIn` is false (e.g. to expect an error first). */
  static async open(browser: Browser, baseUrl: string, userId: string, opts: { role?: 'admin' | 'member'; signIn?: boolean } = {}): Promise<AdminPage> {
    const context = await browser.newContext();
    const admin = new AdminPage(context, await context.newPage(), userId);
    await admin.page.goto(`${baseUrl}/admin.html`);
    if (opts.signIn !== false) await admin.signIn(opts.role ?? 'admin');
    return admin;
  }

  /** Fills in the sign-in form and submits it; for an admin, waits for the dashboard's first refresh. */
  async signIn(role: 'admin' | 'member'): Promise<void> {
    await this.page.getByTestId('admin-name').fill(`Operator ${this.userId}`);
    await this.page.getByTestId('admin-user-id').fill(this.userId);
    await this.page.getByTestId('admin-role').selectOption(role);
    await this.page.getByTestId('admin-connect').click();
    if (role === 'admin') await this.waitForRefreshes(1);
  }

  readonly state = () => this.read('state');
  readonly refreshes = () => this.read('refreshes');
  readonly workers = () => this.read('workers');
  readonly calls = () => this.read('calls');

  /** Samples on the CPU chart's time axis, read from the Chart.js instance. */
  readonly cpuSamples = () => this.read('cpuSamples');
  readonly cpuSeries = () => this.read('cpuSeries');
  readonly loadBars = () => this.read('loadBars');

  /** The pids of the worker table's rows, in table order. */
  async workerRowPids(): Promise<number[]> {
    const pids = await this.page.getByTestId('worker-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pid')));
    return pids.map(Number);
  }

  workerRow(pid: number): Locator {
    return this.page.locator(`[data-testid="worker-row"][data-pid="${pid}"]`);
  }

  callRow(callId: string): Locator {
    return this.page.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
  }

  async waitForRefreshes(n: number, timeout = WAIT_MS): Promise<void> {
    await this.page.waitForFunction((min) => (globalThis as AdminWindow).__hearthAdmin.refreshes >= min, n, { timeout, polling: 50 });
  }
}

/** Waits for `check` to hold, polling; throws with the last value seen. Never a timing assertion. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeout = WAIT_MS, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

/** Ends, as an admin, every call still live on the server (cleanup after a failed test), exactly as `POST /api/calls/:id/end` does. */
export async function endLiveCalls(t: TestApp): Promise<void> {
  const calls = t.app.get(CallService);
  for (const id of calls.liveCallIds()) {
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
