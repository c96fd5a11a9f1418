import { C2S, type ServerEvents } from '../../src/signaling/catalogue';
import { CallFlow, endedText } from './call-flow';
import type { AppState, CallEnd, ReceivedEvent } from './debug-api';
import type { DevRole } from './dev-token';
import { forgetIfRefused, takeHandedToken, whoAmI } from './handed-token';
import { Presence, type PresenceEntry } from './presence';
import { routeServerEvents, type ServerEventHandlers } from './server-events';
import { SessionFlow } from './session-flow';
import { Signaling, describeError, errorCode, fetchDevToken } from './signaling';
import type { View } from './ui';

const MAX_LOGGED_EVENTS = 200;

/** Our seat in a call moved to another device of ours (`call:answered-elsewhere` while in the call). */
const CONTINUED_ELSEWHERE = 'continued_elsewhere';
const CONTINUED_ELSEWHERE_TEXT = 'Call continued on another device';

/**
 * The client's state machine: sign in, ring, answer, and every way out of a call. The server's
 * events reach it through server-events.ts; calls (CallFlow) and scheduled sessions
 * (SessionFlow) are their own flows over this state.
 */
export class App implements ServerEventHandlers {
  state: AppState = 'signed-out';
  userId: string | null = null;
  lastEnd: CallEnd | null = null;
  /** The signed-in role, or `guest` for a page opened from an invite link. */
  role: string | null = null;
  signaling: Signaling | null = null;
  readonly calls: CallFlow;
  readonly sessions: SessionFlow;
  private presence: Presence | null = null;
  private incoming: ServerEvents['call:incoming'] | null = null;
  private readonly log: ReceivedEvent[] = [];

  constructor(private readonly view: View) {
    this.calls = new CallFlow(this, view);
    this.sessions = new SessionFlow(this, view);
  }

  // ------------------------------------------------------------------ read by the debug hooks

  get callId(): string | null {
    return this.calls.current?.id ?? null;
  }

  get participants() {
    return this.calls.current?.roster.list() ?? [];
  }

  /** The current call's media, or the last call's after it ended. */
  get media() {
    return this.calls.media;
  }

  get joinSentAt(): number | null {
    return this.calls.joinSentAt;
  }

  /** The session call we wait in the waiting room of (state `waiting`). */
  get waitingFor(): string | null {
    return this.sessions.waitingFor;
  }

  /** The current session call's countdown and host controls. */
  get sessionPanel() {
    return this.calls.sessionPanel;
  }

  events(): ReceivedEvent[] {
    return [...this.log];
  }

  presenceList(): PresenceEntry[] {
    return this.presence?.list() ?? [];
  }

  get previewLive(): boolean {
    return this.view.guest.previewLive;
  }

  get isHostRole(): boolean {
    return this.role === 'host' || this.role === 'admin';
  }

  start(): void {
    const { view: v, calls, sessions } = this;
    v.sessions.bind({
      schedule: (input) => void sessions.schedule(input),
      inviteLink: (s) => sessions.inviteLink(s),
      start: (s) => sessions.start(s),
    });
    v.guest.joinButton.addEventListener('click', () => void sessions.joinAsGuest());
    v.waitingLeaveButton.addEventListener('click', () => void sessions.leaveWaitingRoom());
    v.signIn.addEventListener('submit', (e) => (e.preventDefault(), void this.connect()));
    v.placeCallForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const media = (e.submitter as HTMLButtonElement | null)?.value === 'audio' ? 'audio' : 'video';
      const calleeIds = v.calleeInput.value.split(/[\s,]+/).filter(Boolean);
      if (!calleeIds.length) return v.showError('VALIDATION_FAILED', 'enter at least one user id to call');
      void calls.placeCall(media, calleeIds);
    });
    v.presence.onCall((userId) => void calls.placeCall('video', [userId]));
    v.joinForm.addEventListener('submit', (e) => (e.preventDefault(), void calls.joinById()));
    v.answerButton.addEventListener('click', () => void this.answer());
    v.declineButton.addEventListener('click', () => void this.decline());
    v.leaveButton.addEventListener('click', () => void calls.leave());
    v.endButton.addEventListener('click', () => void calls.endForAll());
    v.muteButton.addEventListener('click', () => void calls.toggle('mic'));
    v.cameraButton.addEventListener('click', () => void calls.toggle('camera'));
    // Closing or reloading the page releases camera and microphone here; the seat is kept by
    // the server for the reconnect grace, so a reload can rejoin the same call.
    window.addEventListener('pagehide', () => (v.guest.stopPreview(), calls.finish('page_closed')));
    window.addEventListener('beforeunload', () => (v.guest.stopPreview(), calls.finish('page_closed')));
    if (sessions.invite) {
      // An invite link: the guest entry screen with a camera check, no sign-in.
      this.role = 'guest';
      this.setState('guest', 'Enter your name and join the session');
      void v.guest.startPreview();
      return;
    }
    this.setState('signed-out');
    const handed = takeHandedToken();
    if (handed) void this.connectWithToken(handed);
  }

  // ------------------------------------------------------------------ connection

  private async connect(): Promise<void> {
    const name = this.view.nameInput.value.trim();
    const userId = this.view.userIdInput.value.trim();
    if (!name || !userId) return this.view.showError('VALIDATION_FAILED', 'enter a name and a user id');
    this.view.showError(null);
    this.setState('connecting', 'Connecting…');
    this.signaling?.disconnect();
    this.signaling = null;
    this.presence = null;
    this.view.presence.render([]);
    const role = this.view.roleSelect.value as DevRole;
    try {
      await this.open(await fetchDevToken(userId, name, role), { userId, name, role });
    } catch (err) {
      this.fail(err);
      this.setState('signed-out', 'Not connected');
    }
  }

  /** Signs in with a token the embedding app handed over (`#token=`); the server says who it names. */
  private async connectWithToken(token: string): Promise<void> {
    this.setState('connecting', 'Connecting…');
    try {
      await this.open(token, await whoAmI(token));
    } catch (err) {
      forgetIfRefused(err);
      this.fail(err);
      this.setState('signed-out', 'Not connected');
    }
  }

  private async open(token: string, { userId, name, role }: { userId: string; name: string; role: string }): Promise<void> {
    const signaling = await Signaling.connect(token);
    this.userId = userId;
    this.role = role;
    const presence = new Presence(userId, (users) => {
      if (this.presence === presence) this.view.presence.render(users); // not a list from an earlier sign-in
    });
    this.presence = presence;
    this.listen(signaling);
    this.setState('ready', `Connected as ${name} (${userId})`);
    this.loadPresence();
    this.sessions.signedIn(token);
  }

  /** Makes `signaling` this page's connection and routes its server events here. */
  listen(signaling: Signaling): void {
    this.signaling = signaling;
    routeServerEvents(signaling, this);
  }

  /** A fresh `presence:list` snapshot, after connecting and after every reconnect. */
  private loadPresence(): void {
    const { presence, signaling } = this;
    if (!presence || !signaling) return;
    presence.load(signaling).catch((err) => {
      if (signaling.connected) this.fail(err, 'could not load who is online');
    });
  }

  connectionChanged(connected: boolean, reason: string): void {
    if (connected) {
      if (this.state === 'disconnected') this.setState('ready', 'Reconnected');
      this.loadPresence(); // changes made while we were away were not sent to us
      return;
    }
    const callId = this.calls.current?.id;
    this.sessions.waitingFor = null;
    this.dismissIncoming('Connection lost');
    this.calls.finish('disconnected');
    // Within the reconnect grace the server keeps our seat: offer to rejoin.
    if (callId) this.view.joinIdInput.value = callId;
    this.setState('disconnected', `Connection lost (${reason}); reconnecting…`);
  }

  presenceChanged(e: ServerEvents['presence:changed']): void {
    this.presence?.changed(e);
  }

  // ------------------------------------------------------------------ ringing

  callIncoming(e: ServerEvents['call:incoming']): void {
    if (this.calls.current || this.incoming || this.state === 'joining') return; // the server keeps us unrung while busy
    this.incoming = e;
    this.view.showIncoming(e.from.name, e.media);
    this.setState('incoming', `Incoming ${e.media} call from ${e.from.name}`);
  }

  callCancelled(e: ServerEvents['call:cancelled']): void {
    if (this.incoming?.callId === e.callId) this.dismissIncoming('The caller hung up');
  }

  answeredElsewhere(e: ServerEvents['call:answered-elsewhere']): void {
    if (this.incoming?.callId === e.callId) this.dismissIncoming('Answered on another device');
    // Another device of ours took our seat: the call goes on there. Release camera and mic
    // here; no call:leave, the seat is not ours any more.
    else if (this.calls.current?.id === e.callId) this.calls.finish(CONTINUED_ELSEWHERE, e.callId, CONTINUED_ELSEWHERE_TEXT);
  }

  private async answer(): Promise<void> {
    const incoming = this.incoming;
    if (!incoming) return;
    this.incoming = null;
    await this.calls.enter(async () => incoming.callId);
  }

  private async decline(): Promise<void> {
    const incoming = this.incoming;
    if (!incoming || !this.signaling) return;
    this.dismissIncoming('Declined');
    await this.signaling.request(C2S.callDecline, { callId: incoming.callId }).catch((err) => this.fail(err));
  }

  private dismissIncoming(status: string): void {
    if (!this.incoming && this.state !== 'incoming') return;
    this.incoming = null;
    if (this.state === 'incoming') this.setState('ready', status);
  }

  // ------------------------------------------------------------------ every way a call ends

  callEnded(e: ServerEvents['call:ended']): void {
    if (this.incoming?.callId === e.callId) this.dismissIncoming(`Call ${e.reason}`);
    this.sessions.leftWaitingRoom(e.callId, e.reason, endedText(e.reason));
    this.calls.finish(e.reason, e.callId);
    // The server's reason is the authoritative one, even when we had already closed locally;
    // but a call that moved to another device of ours ends there, not here.
    if (this.lastEnd?.callId !== e.callId || this.lastEnd.reason === e.reason || this.lastEnd.reason === CONTINUED_ELSEWHERE) return;
    this.lastEnd = { callId: e.callId, reason: e.reason };
    if (this.state === 'ready') this.view.setStatus(endedText(e.reason));
  }

  hostRemoved(e: ServerEvents['host:removed']): void {
    const text = 'The host removed you from the session';
    this.calls.finish('removed', e.callId, text);
    this.sessions.leftWaitingRoom(e.callId, 'removed', text);
  }

  /** See `HearthDebug.probeMediaRequest`. */
  async probeMediaRequest(): Promise<string> {
    const callId = this.calls.current?.id ?? this.sessions.waitingFor;
    if (!this.signaling || !callId) return 'NO_CALL';
    try {
      await this.signaling.request(C2S.createTransport, { callId, direction: 'recv' });
      return 'OK';
    } catch (err) {
      return errorCode(err);
    }
  }

  // ------------------------------------------------------------------ helpers

  setState(state: AppState, status?: string): void {
    this.state = state;
    this.view.showState(state, { host: this.isHostRole, guest: this.role === 'guest' });
    if (status !== undefined) this.view.setStatus(status);
  }

  /** Between calls: `ready`, or `disconnected` while the connection is down. */
  setIdle(status: string): void {
    this.setState(this.signaling?.connected ? 'ready' : 'disconnected', status);
  }

  fail(err: unknown, context?: string): void {
    console.warn('[hearth]', context ?? '', err);
    const message = err instanceof Error ? err.message : String(err);
    this.view.showError(errorCode(err), context ? `${context}: ${describeError(err)}` : message);
  }

  record(event: string, payload?: unknown): void {
    this.log.push({ at: Date.now(), event, callId: (payload as { callId?: string } | undefined)?.callId });
    if (this.log.length > MAX_LOGGED_EVENTS) this.log.shift();
  }
}
