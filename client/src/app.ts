import { C2S, S2C, SENT_TO_LOBBY, type CallJoinAck, type MediaKind, type MediaSource, type ServerEvents } from '../../src/signaling/catalogue';
import { ActiveCall } from './active-call';
import type { MediaConnection } from './media-connection';
import type { AppState, CallEnd, ReceivedEvent } from './debug-api';
import type { DevRole } from './dev-token';
import { forgetIfRefused, takeHandedToken, whoAmI } from './handed-token';
import { hostActions } from './host-actions';
import { Presence, type PresenceEntry } from './presence';
import { SessionPanel } from './session-panel';
import { inviteFromLocation, sessionsApi, type ScheduleInput, type SessionSummary } from './sessions-api';
import { Signaling, describeError, errorCode, fetchDevToken, isWaiting } from './signaling';
import type { View } from './ui';

const MAX_LOGGED_EVENTS = 200;

const endedText = (reason: string) => `Call ended (${reason.replace(/_/g, ' ')})`;

/** Our seat in a call moved to another device of ours (`call:answered-elsewhere` while in the call). */
const CONTINUED_ELSEWHERE = 'continued_elsewhere';
const CONTINUED_ELSEWHERE_TEXT = 'Call continued on another device';

const DENIED_TEXT = { denied: 'The host did not let you in', timeout: 'Nobody let you in in time' } as const;

/** The client's state machine: sign in, ring, answer, and every way out of a call. */
export class App {
  state: AppState = 'signed-out';
  userId: string | null = null;
  lastEnd: CallEnd | null = null;
  joinSentAt: number | null = null;
  /** The current call's media, or the last call's after it ended (read by the debug hooks). */
  media: MediaConnection | null = null;
  /** The signed-in role, or `guest` for a page opened from an invite link. */
  role: string | null = null;
  /** The session call we wait in the waiting room of (state `waiting`). */
  waitingFor: string | null = null;
  /** The current session call's countdown and host controls. */
  sessionPanel: SessionPanel | null = null;
  private token: string | null = null;
  /** The session call a guest token is good for. */
  private guestCallId: string | null = null;
  /** The last time warning, shown again if we get a seat after it arrived (e.g. admitted later). */
  private lastWarning: ServerEvents['session:time-warning'] | null = null;
  private readonly invite = inviteFromLocation();
  private readonly inviteLinks = new Map<string, string>();
  private readonly hostedCallIds = new Set<string>();
  private signaling: Signaling | null = null;
  private presence: Presence | null = null;
  private call: ActiveCall | null = null;
  private incoming: ServerEvents['call:incoming'] | null = null;
  private busy = false;
  private readonly log: ReceivedEvent[] = [];

  constructor(private readonly view: View) {}

  get callId(): string | null {
    return this.call?.id ?? null;
  }

  get participants() {
    return this.call?.roster.list() ?? [];
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

  private get isHostRole(): boolean {
    return this.role === 'host' || this.role === 'admin';
  }

  start(): void {
    const v = this.view;
    v.sessions.bind({
      schedule: (input) => void this.schedule(input),
      inviteLink: (s) => this.inviteLink(s),
      start: (s) => {
        this.hostedCallIds.add(s.callId);
        void this.enterCall(async () => s.callId, true);
      },
    });
    v.guest.joinButton.addEventListener('click', () => void this.joinAsGuest());
    v.waitingLeaveButton.addEventListener('click', () => void this.leaveWaitingRoom());
    v.signIn.addEventListener('submit', (e) => (e.preventDefault(), void this.connect()));
    v.placeCallForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const media = (e.submitter as HTMLButtonElement | null)?.value === 'audio' ? 'audio' : 'video';
      const calleeIds = v.calleeInput.value.split(/[\s,]+/).filter(Boolean);
      if (!calleeIds.length) return v.showError('VALIDATION_FAILED', 'enter at least one user id to call');
      void this.placeCall(media, calleeIds);
    });
    v.presence.onCall((userId) => void this.placeCall('video', [userId]));
    v.joinForm.addEventListener('submit', (e) => (e.preventDefault(), void this.joinById()));
    v.answerButton.addEventListener('click', () => void this.answer());
    v.declineButton.addEventListener('click', () => void this.decline());
    v.leaveButton.addEventListener('click', () => void this.leave());
    v.endButton.addEventListener('click', () => void this.endForAll());
    v.muteButton.addEventListener('click', () => void this.toggle('mic'));
    v.cameraButton.addEventListener('click', () => void this.toggle('camera'));
    // Closing or reloading the page releases camera and microphone here; the seat is kept by
    // the server for the reconnect grace, so a reload can rejoin the same call.
    window.addEventListener('pagehide', () => (this.view.guest.stopPreview(), this.finish('page_closed')));
    window.addEventListener('beforeunload', () => (this.view.guest.stopPreview(), this.finish('page_closed')));
    if (this.invite) {
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
    this.signaling = signaling;
    this.userId = userId;
    this.role = role;
    this.token = token;
    const presence = new Presence(userId, (users) => {
      if (this.presence === presence) this.view.presence.render(users); // not a list from an earlier sign-in
    });
    this.presence = presence;
    this.subscribe(signaling);
    this.setState('ready', `Connected as ${name} (${userId})`);
    this.loadPresence();
    if (this.isHostRole) {
      this.view.sessions.reset();
      void this.loadSessions();
    }
  }

  /** A fresh `presence:list` snapshot, after connecting and after every reconnect. */
  private loadPresence(): void {
    const { presence, signaling } = this;
    if (!presence || !signaling) return;
    presence.load(signaling).catch((err) => {
      if (signaling.connected) this.fail(err, 'could not load who is online');
    });
  }

  private subscribe(s: Signaling): void {
    const forCall = <E extends keyof ServerEvents>(event: E, fn: (call: ActiveCall, e: ServerEvents[E]) => void) =>
      s.on(event, (e) => {
        this.record(event, e);
        if (this.call && (e as { callId?: string }).callId === this.call.id) fn(this.call, e);
      });

    s.on(S2C.callIncoming, (e) => {
      this.record(S2C.callIncoming, e);
      if (this.call || this.incoming || this.state === 'joining') return; // the server keeps us unrung while busy
      this.incoming = e;
      this.view.showIncoming(e.from.name, e.media);
      this.setState('incoming', `Incoming ${e.media} call from ${e.from.name}`);
    });
    s.on(S2C.callCancelled, (e) => {
      this.record(S2C.callCancelled, e);
      if (this.incoming?.callId === e.callId) this.dismissIncoming('The caller hung up');
    });
    s.on(S2C.answeredElsewhere, (e) => {
      this.record(S2C.answeredElsewhere, e);
      if (this.incoming?.callId === e.callId) this.dismissIncoming('Answered on another device');
      // Another device of ours took our seat: the call goes on there. Release camera and mic
      // here; no call:leave, the seat is not ours any more.
      else if (this.call?.id === e.callId) this.finish(CONTINUED_ELSEWHERE, e.callId, CONTINUED_ELSEWHERE_TEXT);
    });
    s.on(S2C.presenceChanged, (e) => {
      this.record(S2C.presenceChanged, e);
      this.presence?.changed(e);
    });
    s.on(S2C.callEnded, (e) => {
      this.record(S2C.callEnded, e);
      if (this.incoming?.callId === e.callId) this.dismissIncoming(`Call ${e.reason}`);
      this.leftWaitingRoom(e.callId, e.reason, endedText(e.reason));
      this.finish(e.reason, e.callId);
      // The server's reason is the authoritative one, even when we had already closed locally;
      // but a call that moved to another device of ours ends there, not here.
      if (this.lastEnd?.callId !== e.callId || this.lastEnd.reason === e.reason || this.lastEnd.reason === CONTINUED_ELSEWHERE) return;
      this.lastEnd = { callId: e.callId, reason: e.reason };
      if (this.state === 'ready') this.view.setStatus(endedText(e.reason));
    });
    s.on(S2C.lobbyAdmitted, (e) => {
      this.record(S2C.lobbyAdmitted, e);
      if (this.waitingFor !== e.callId || this.call) return;
      this.waitingFor = null;
      void this.enterCall(async () => e.callId);
    });
    s.on(S2C.lobbyDenied, (e) => {
      this.record(S2C.lobbyDenied, e);
      this.leftWaitingRoom(e.callId, `lobby_${e.reason}`, DENIED_TEXT[e.reason] ?? 'You were not let in');
    });
    s.on(S2C.hostRemoved, (e) => {
      this.record(S2C.hostRemoved, e);
      const text = 'The host removed you from the session';
      this.finish('removed', e.callId, text);
      this.leftWaitingRoom(e.callId, 'removed', text);
    });
    s.on(S2C.sessionTimeWarning, (e) => {
      this.record(S2C.sessionTimeWarning, e);
      this.lastWarning = e;
      if (this.call?.id === e.callId) this.sessionPanel?.timeWarning(e);
      else if (this.waitingFor === e.callId) this.view.setStatus(`The session ends in ${Math.round(e.secondsLeft / 60)} min`);
    });
    forCall(S2C.lobbyKnock, (_call, e) => this.sessionPanel?.knock(e));
    forCall(S2C.lobbySentBack, (call) => {
      // Our media is closed on the server: release camera and mic, then wait to be admitted again.
      this.finish(SENT_TO_LOBBY, call.id, 'The host moved you back to the waiting room');
      this.waitingFor = call.id;
      this.setState('waiting');
    });
    forCall(S2C.hostMuted, (call, e) => void this.hostMuted(call, e.source));
    forCall(S2C.sessionLocked, (_call, e) => this.sessionPanel?.setLocked(e.locked));
    forCall(S2C.sessionExtended, (_call, e) => this.sessionPanel?.extended(e.endsAt));
    forCall(S2C.callRinging, (call, e) => call.updateParticipant(e.userId, 'ringing'));
    forCall(S2C.callDeclined, (call, e) => call.updateParticipant(e.userId, 'left'));
    forCall(S2C.participantJoined, (call, e) => {
      this.sessionPanel?.waiting.remove(e.userId);
      call.updateParticipant(e.userId, 'joined', e.name);
    });
    forCall(S2C.participantReconnecting, (call, e) => call.updateParticipant(e.userId, 'reconnecting'));
    forCall(S2C.participantLeft, (call, e) => {
      const name = call.roster.get(e.userId)?.name ?? e.userId;
      call.updateParticipant(e.userId, 'left');
      // A session's host sees whom another host sent back in the waiting room again.
      if (e.reason === SENT_TO_LOBBY && this.sessionPanel?.hosting) this.sessionPanel.waiting.add({ userId: e.userId, name });
      else this.sessionPanel?.waiting.remove(e.userId);
      // Alone (a 1:1 whose peer left): the server ends the call; release the camera right away.
      // A session's call goes on with its host alone until it ends.
      if (!call.endsAt && call.roster.alone) this.finish(`participant_${e.reason}`);
    });
    forCall(S2C.mediaToggled, (call, e) => call.mediaToggled(e));
    forCall(S2C.newProducer, (call, e) => void call.media.consume(e));
    forCall(S2C.mediaReconnect, (call, e) => void this.reconnectMedia(call, e));
    forCall(S2C.producerClosed, (call, e) => call.media.producerClosed(e.producerId));
    forCall(S2C.consumerClosed, (call, e) => call.media.consumerClosed(e.consumerId));

    s.onConnection((connected, reason) => {
      this.record(connected ? 'connect' : 'disconnect');
      if (connected) {
        if (this.state === 'disconnected') this.setState('ready', 'Reconnected');
        this.loadPresence(); // changes made while we were away were not sent to us
        return;
      }
      const callId = this.call?.id;
      this.waitingFor = null;
      this.dismissIncoming('Connection lost');
      this.finish('disconnected');
      // Within the reconnect grace the server keeps our seat: offer to rejoin.
      if (callId) this.view.joinIdInput.value = callId;
      this.setState('disconnected', `Connection lost (${reason}); reconnecting…`);
    });
  }

  // ------------------------------------------------------------------ entering a call

  private async placeCall(media: MediaKind, calleeIds: string[]): Promise<void> {
    await this.enterCall(async (s) => (await s.request(C2S.callInitiate, { calleeIds, media })).callId);
  }

  private async answer(): Promise<void> {
    const incoming = this.incoming;
    if (!incoming) return;
    this.incoming = null;
    await this.enterCall(async () => incoming.callId);
  }

  private async joinById(): Promise<void> {
    const callId = this.view.joinIdInput.value.trim();
    if (!callId) return this.view.showError('VALIDATION_FAILED', 'enter a call id');
    await this.enterCall(async () => callId);
  }

  /**
   * Gets a call id, takes a seat with `call:join`, then runs the media handshake. The join ack
   * says who started the call and whether it is audio or video, however we got here.
   */
  private async enterCall(getCallId: (s: Signaling) => Promise<string>, hosting = false): Promise<void> {
    const signaling = this.signaling;
    if (!signaling || !this.userId || this.call) return;
    this.view.showError(null);
    this.setState('joining', 'Starting the call…');
    let call: ActiveCall | null = null;
    try {
      const callId = await getCallId(signaling);
      call = new ActiveCall(callId, this.userId, signaling, this.view, (message, err) => this.fail(err, message));
      this.call = call;
      this.media = call.media;
      this.view.showCall(callId);
      this.joinSentAt = Date.now();
      const ack = await signaling.request(C2S.callJoin, { callId });
      if (call.media.isClosed) return;
      if (isWaiting(ack)) {
        // A session guest: no seat and no media until a host admits us (`lobby:admitted`).
        this.call = null;
        call.media.close();
        this.view.clearTiles();
        this.waitingFor = callId;
        this.setState('waiting', 'Waiting for the host to let you in');
        return;
      }
      this.setState('in-call');
      this.openSessionPanel(call, ack, hosting);
      call.applyJoin(ack);
      call.refreshControls(this.busy);
      await call.media.start(ack);
      call.refreshControls(this.busy);
    } catch (err) {
      if (call?.media.isClosed) return; // the call ended another way while we were joining
      this.fail(err);
      if (call) {
        this.finish('failed');
        signaling.request(C2S.callLeave, { callId: call.id }).catch(() => undefined);
      } else {
        this.setState('ready', 'Could not start the call');
      }
    }
  }

  private async decline(): Promise<void> {
    const incoming = this.incoming;
    if (!incoming || !this.signaling) return;
    this.dismissIncoming('Declined');
    await this.signaling.request(C2S.callDecline, { callId: incoming.callId }).catch((err) => this.fail(err));
  }

  // ------------------------------------------------------------------ in a call

  private async leave(): Promise<void> {
    const call = this.call;
    if (!call || !this.signaling) return;
    this.finish('left');
    await this.signaling.request(C2S.callLeave, { callId: call.id }).catch((err) => {
      if (errorCode(err) !== 'NOT_FOUND') this.fail(err);
    });
  }

  private async endForAll(): Promise<void> {
    const call = this.call;
    if (!call || !this.signaling) return;
    try {
      await this.signaling.request(C2S.callEnd, { callId: call.id });
      this.finish('completed');
    } catch (err) {
      if (errorCode(err) === 'NOT_FOUND') this.finish('ended');
      else this.fail(err); // e.g. FORBIDDEN: only the host ends a group call; we stay in it
    }
  }

  private async toggle(what: 'mic' | 'camera'): Promise<void> {
    const session = this.call?.media;
    if (!session || this.busy) return;
    this.busy = true;
    this.call?.refreshControls(this.busy);
    try {
      if (what === 'mic') await session.setMicEnabled(!session.micEnabled);
      else await session.setCameraEnabled(!session.cameraEnabled);
    } catch (err) {
      if (!session.isClosed) this.fail(err);
    } finally {
      this.busy = false;
      this.call?.refreshControls(this.busy);
    }
  }

  /**
   * `media:reconnect`: the worker carrying the call's media died (or an operator moved the
   * call). The call goes on; its media is rebuilt on the new worker with the same local tracks.
   */
  private async reconnectMedia(call: ActiveCall, e: ServerEvents['media:reconnect']): Promise<void> {
    const session = call.media;
    const rebuilt = session.reconnect(e.routerRtpCapabilities, e.iceServers as RTCIceServer[] | undefined);
    this.view.setStatus('Reconnecting media…');
    call.refreshControls(this.busy);
    try {
      await rebuilt;
    } catch (err) {
      if (!session.isClosed) this.fail(err, 'could not reconnect the media');
    }
    if (this.call !== call || session.reconnecting) return; // ended, or a newer reconnect is under way
    this.view.setStatus(call.roster.describe());
    call.refreshControls(this.busy);
  }

  /**
   * The one way out of a call, whatever ended it. Idempotent; the media session's close()
   * stops every local track and closes both transports.
   */
  private finish(reason: string, onlyCallId?: string, status = endedText(reason)): void {
    const call = this.call;
    if (!call || (onlyCallId && call.id !== onlyCallId)) return;
    this.call = null;
    this.lastEnd = { callId: call.id, reason };
    try {
      call.media.close();
    } finally {
      this.sessionPanel?.dispose();
      this.sessionPanel = null;
      this.view.tileDecorator = null;
      this.view.clearTiles();
      this.view.setLocalPreview(null);
      this.setState(this.signaling?.connected ? 'ready' : 'disconnected', status);
      if (this.isHostRole) void this.loadSessions();
    }
  }

  // ------------------------------------------------------------------ sessions

  /** A session call (the join ack carries its end): the countdown, and the host's controls. */
  private openSessionPanel(call: ActiveCall, ack: CallJoinAck, hosting: boolean): void {
    if (!ack.endsAt || !this.signaling) return;
    call.hosting = hosting || ack.initiatorId === this.userId || this.hostedCallIds.has(call.id);
    const actions = hostActions(this.signaling, call.id, () => (this.call === call ? this.sessionPanel : null), (err, context) => this.fail(err, context));
    const panel = new SessionPanel(ack.endsAt, call.hosting, actions);
    this.sessionPanel = panel;
    if (call.hosting) this.view.tileDecorator = (tile, userId) => panel.decorateTile(tile, userId);
    const warned = this.lastWarning;
    if (warned?.callId === call.id && warned.endsAt === ack.endsAt) panel.timeWarning(warned);
    panel.seed(ack.participants.filter((p) => p.state === 'waiting').map(({ userId, name }) => ({ userId, name })));
  }

  /** Out of the waiting room of `callId` (denied, removed, the session ended), if we were in it. */
  private leftWaitingRoom(callId: string, reason: string, status: string): void {
    if (this.waitingFor !== callId) return;
    this.waitingFor = null;
    this.lastEnd = { callId, reason };
    this.setState(this.signaling?.connected ? 'ready' : 'disconnected', status);
  }

  private async leaveWaitingRoom(): Promise<void> {
    const callId = this.waitingFor;
    if (!callId || !this.signaling) return;
    this.leftWaitingRoom(callId, 'left', 'You left the waiting room');
    await this.signaling.request(C2S.callLeave, { callId }).catch((err) => {
      if (errorCode(err) !== 'NOT_FOUND') this.fail(err);
    });
  }

  /** A host paused our mic or camera on the server: the buttons (and our producer) follow. */
  private async hostMuted(call: ActiveCall, source: MediaSource): Promise<void> {
    this.view.setStatus(source === 'mic' ? 'The host muted your microphone' : 'The host turned your camera off');
    try {
      if (source === 'mic') await call.media.setMicEnabled(false);
      else await call.media.setCameraEnabled(false);
    } catch (err) {
      if (!call.media.isClosed) this.fail(err);
    }
    if (this.call === call) call.refreshControls(this.busy);
  }

  private async joinAsGuest(): Promise<void> {
    const invite = this.invite;
    const name = this.view.guest.nameInput.value.trim();
    if (!invite || this.call || this.waitingFor) return;
    if (!name) return this.view.showError('VALIDATION_FAILED', 'enter your name');
    this.view.showError(null);
    this.view.guest.stopPreview(); // leaving the camera check
    this.view.guest.joinButton.disabled = true;
    this.view.setStatus('Joining…');
    try {
      // The invite is exchanged once; trying again (e.g. after a refusal) reuses the connection.
      if (!this.signaling) {
        const guest = await sessionsApi.guestToken(invite.sessionId, invite.invite, name);
        const signaling = await Signaling.connect(guest.token);
        this.signaling = signaling;
        this.userId = guest.userId;
        this.guestCallId = guest.callId;
        this.subscribe(signaling);
      }
      const callId = this.guestCallId;
      if (callId) await this.enterCall(async () => callId);
    } catch (err) {
      this.fail(err);
      this.setState('guest', 'Could not join');
    } finally {
      this.view.guest.joinButton.disabled = false;
    }
  }

  private async loadSessions(): Promise<void> {
    if (!this.token) return;
    try {
      const list = await sessionsApi.list(this.token);
      for (const s of list) if (s.hostIds.includes(this.userId ?? '')) this.hostedCallIds.add(s.callId);
      this.view.sessions.render(list, this.inviteLinks);
    } catch (err) {
      this.fail(err, 'could not load your sessions');
    }
  }

  private async schedule(input: ScheduleInput): Promise<void> {
    if (!this.token) return;
    if (!input.title) return this.view.showError('VALIDATION_FAILED', 'enter a title');
    this.view.showError(null);
    try {
      const s = await sessionsApi.schedule(this.token, input);
      if (s.inviteUrl) this.inviteLinks.set(s.sessionId, s.inviteUrl);
      this.hostedCallIds.add(s.callId);
      this.view.setStatus(`Scheduled "${s.title}"`);
      await this.loadSessions();
    } catch (err) {
      this.fail(err, 'could not schedule the session');
    }
  }

  private async inviteLink(s: SessionSummary): Promise<string> {
    const known = this.inviteLinks.get(s.sessionId);
    if (known || !this.token) return known ?? '';
    try {
      const { inviteUrl } = await sessionsApi.invite(this.token, s.sessionId);
      this.inviteLinks.set(s.sessionId, inviteUrl);
      return inviteUrl;
    } catch (err) {
      this.fail(err, 'could not issue an invite link');
      return '';
    }
  }

  /** See `HearthDebug.probeMediaRequest`. */
  async probeMediaRequest(): Promise<string> {
    const callId = this.call?.id ?? this.waitingFor;
    if (!this.signaling || !callId) return 'NO_CALL';
    try {
      await this.signaling.request(C2S.createTransport, { callId, direction: 'recv' });
      return 'OK';
    } catch (err) {
      return errorCode(err);
    }
  }

  // ------------------------------------------------------------------ helpers

  private dismissIncoming(status: string): void {
    if (!this.incoming && this.state !== 'incoming') return;
    this.incoming = null;
    if (this.state === 'incoming') this.setState('ready', status);
  }

  private setState(state: AppState, status?: string): void {
    this.state = state;
    this.view.showState(state, { host: this.isHostRole, guest: this.role === 'guest' });
    if (status !== undefined) this.view.setStatus(status);
  }

  private fail(err: unknown, context?: string): void {
    console.warn('[hearth]', context ?? '', err);
    const message = err instanceof Error ? err.message : String(err);
    this.view.showError(errorCode(err), context ? `${context}: ${describeError(err)}` : message);
  }

  private record(event: string, payload?: unknown): void {
    this.log.push({ at: Date.now(), event, callId: (payload as { callId?: string } | undefined)?.callId });
    if (this.log.length > MAX_LOGGED_EVENTS) this.log.shift();
  }
}
