import type { Browser, Locator } from 'playwright-core';
import type { AppState, HearthDebug, InboundStat } from '../../client/src/debug-api';
import { WAIT_MS, eventually } from './chromium';
import { WatchedPage } from './watched-page';

type HearthWindow = typeof globalThis & { __hearth: HearthDebug };
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

  /**
   * Waits until any remote track of the page's tiles has received an RTP packet (a remote
   * track is muted until its first packet arrives); returns Date.now() in the page when first
   * seen. The tracks' `muted` is read every `polling` ms: cheap, and current, where getStats
   * would be cached for up to 50 ms and cost the page a round trip to its network thread.
   */
  async waitForFirstPacket(timeout = WAIT_MS, polling = 2): Promise<number> {
    const seenAt = await this.page.evaluate(
      async ({ timeout, polling }) => {
        type Media = { srcObject: { getTracks(): { muted: boolean }[] } | null };
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Media> } }).document;
        const deadline = Date.now() + timeout;
        while (Date.now() < deadline) {
          for (const el of doc.querySelectorAll('[data-testid="remote-tile"] video, [data-testid="remote-tile"] audio')) {
            if (el.srcObject?.getTracks().some((t) => !t.muted)) return Date.now();
          }
          await new Promise((r) => setTimeout(r, polling));
        }
        return null;
      },
      { timeout, polling },
    );
    if (seenAt === null) throw new Error(`${this.userId}: no RTP packet received within ${timeout} ms`);
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
