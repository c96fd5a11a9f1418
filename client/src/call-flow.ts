import { C2S, SENT_TO_LOBBY, type CallJoinAck, type MediaKind, type MediaSource, type ServerEvents } from '../../src/signaling/catalogue';
import { ActiveCall } from './active-call';
import type { App } from './app';
import { hostActions } from './host-actions';
import type { MediaConnection } from './media-connection';
import type { CallEventHandlers } from './server-events';
import { SessionPanel } from './session-panel';
import { errorCode, isWaiting, type Signaling } from './signaling';
import type { View } from './ui';

export const endedText = (reason: string) => `Call ended (${reason.replace(/_/g, ' ')})`;

/**
 * Into a call, in it, and the one way out: the current call with its media and session panel,
 * and what the current call's server events do to it.
 */
export class CallFlow implements CallEventHandlers {
  current: ActiveCall | null = null;
  /** The current call's media, or the last call's after it ended (read by the debug hooks). */
  media: MediaConnection | null = null;
  /** Date.now() when this client last sent `call:join`. */
  joinSentAt: number | null = null;
  /** The current session call's countdown and host controls. */
  sessionPanel: SessionPanel | null = null;
  private busy = false;

  constructor(
    private readonly app: App,
    private readonly view: View,
  ) {}

  // ------------------------------------------------------------------ entering a call

  async placeCall(media: MediaKind, calleeIds: string[]): Promise<void> {
    await this.enter(async (s) => (await s.request(C2S.callInitiate, { calleeIds, media })).callId);
  }

  async joinById(): Promise<void> {
    const callId = this.view.joinIdInput.value.trim();
    if (!callId) return this.view.showError('VALIDATION_FAILED', 'enter a call id');
    await this.enter(async () => callId);
  }

  /**
   * Gets a call id, takes a seat with `call:join`, then runs the media handshake. The join ack
   * says who started the call and whether it is audio or video, however we got here.
   */
  async enter(getCallId: (s: Signaling) => Promise<string>, hosting = false): Promise<void> {
    const { app } = this;
    const signaling = app.signaling;
    if (!signaling || !app.userId || this.current) return;
    this.view.showError(null);
    app.setState('joining', 'Starting the call…');
    let call: ActiveCall | null = null;
    try {
      const callId = await getCallId(signaling);
      call = new ActiveCall(callId, app.userId, signaling, this.view, (message, err) => app.fail(err, message));
      this.current = call;
      this.media = call.media;
      this.view.showCall(callId);
      this.joinSentAt = Date.now();
      const ack = await signaling.request(C2S.callJoin, { callId });
      if (call.media.isClosed) return;
      if (isWaiting(ack)) {
        // A session guest: no seat and no media until a host admits us (`lobby:admitted`).
        this.current = null;
        call.media.close();
        this.view.clearTiles();
        app.sessions.wait(callId, 'Waiting for the host to let you in');
        return;
      }
      app.setState('in-call');
      this.openSessionPanel(call, ack, hosting);
      call.applyJoin(ack);
      call.refreshControls(this.busy);
      await call.media.start(ack);
      call.refreshControls(this.busy);
    } catch (err) {
      if (call?.media.isClosed) return; // the call ended another way while we were joining
      app.fail(err);
      if (call) {
        this.finish('failed');
        signaling.request(C2S.callLeave, { callId: call.id }).catch(() => undefined);
      } else {
        app.setState('ready', 'Could not start the call');
      }
    }
  }

  // ------------------------------------------------------------------ in a call

  async leave(): Promise<void> {
    const call = this.current;
    const signaling = this.app.signaling;
    if (!call || !signaling) return;
    this.finish('left');
    await signaling.request(C2S.callLeave, { callId: call.id }).catch((err) => {
      if (errorCode(err) !== 'NOT_FOUND') this.app.fail(err);
    });
  }

  async endForAll(): Promise<void> {
    const call = this.current;
    const signaling = this.app.signaling;
    if (!call || !signaling) return;
    try {
      await signaling.request(C2S.callEnd, { callId: call.id });
      this.finish('completed');
    } catch (err) {
      if (errorCode(err) === 'NOT_FOUND') this.finish('ended');
      else this.app.fail(err); // e.g. FORBIDDEN: only the host ends a group call; we stay in it
    }
  }

  async toggle(what: 'mic' | 'camera'): Promise<void> {
    const session = this.current?.media;
    if (!session || this.busy) return;
    this.busy = true;
    this.current?.refreshControls(this.busy);
    try {
      if (what === 'mic') await session.setMicEnabled(!session.micEnabled);
      else await session.setCameraEnabled(!session.cameraEnabled);
    } catch (err) {
      if (!session.isClosed) this.app.fail(err);
    } finally {
      this.busy = false;
      this.current?.refreshControls(this.busy);
    }
  }

  /**
   * The one way out of a call, whatever ended it. Idempotent; the media session's close()
   * stops every local track and closes both transports.
   */
  finish(reason: string, onlyCallId?: string, status = endedText(reason)): void {
    const call = this.current;
    if (!call || (onlyCallId && call.id !== onlyCallId)) return;
    this.current = null;
    this.app.lastEnd = { callId: call.id, reason };
    try {
      call.media.close();
    } finally {
      this.sessionPanel?.dispose();
      this.sessionPanel = null;
      this.view.tileDecorator = null;
      this.view.clearTiles();
      this.view.setLocalPreview(null);
      this.app.setIdle(status);
      if (this.app.isHostRole) void this.app.sessions.load();
    }
  }

  // ------------------------------------------------------------------ the current call's events

  /** `lobby:sent-back`: our media is closed on the server; release camera and mic, then wait to be admitted again. */
  lobbySentBack(call: ActiveCall): void {
    this.finish(SENT_TO_LOBBY, call.id, 'The host moved you back to the waiting room');
    this.app.sessions.wait(call.id);
  }

  /** A host paused our mic or camera on the server: the buttons (and our producer) follow. */
  async hostMuted(call: ActiveCall, source: MediaSource): Promise<void> {
    this.view.setStatus(source === 'mic' ? 'The host muted your microphone' : 'The host turned your camera off');
    try {
      if (source === 'mic') await call.media.setMicEnabled(false);
      else await call.media.setCameraEnabled(false);
    } catch (err) {
      if (!call.media.isClosed) this.app.fail(err);
    }
    if (this.current === call) call.refreshControls(this.busy);
  }

  participantJoined(call: ActiveCall, e: ServerEvents['call:participant-joined']): void {
    this.sessionPanel?.waiting.remove(e.userId);
    call.updateParticipant(e.userId, 'joined', e.name, e.role);
  }

  participantLeft(call: ActiveCall, e: ServerEvents['call:participant-left']): void {
    const name = call.roster.get(e.userId)?.name ?? e.userId;
    call.updateParticipant(e.userId, 'left');
    // A session's host sees whom another host sent back in the waiting room again.
    if (e.reason === SENT_TO_LOBBY && this.sessionPanel?.hosting) this.sessionPanel.waiting.add({ userId: e.userId, name });
    else this.sessionPanel?.waiting.remove(e.userId);
    // Alone (a 1:1 whose peer left): the server ends the call; release the camera right away.
    // A session's call goes on with its host alone until it ends.
    if (!call.endsAt && call.roster.alone) this.finish(`participant_${e.reason}`);
  }

  /**
   * `media:reconnect`: the worker carrying the call's media died (or an operator moved the
   * call). The call goes on; its media is rebuilt on the new worker with the same local tracks.
   */
  async mediaReconnect(call: ActiveCall, e: ServerEvents['media:reconnect']): Promise<void> {
    const session = call.media;
    const rebuilt = session.reconnect(e.routerRtpCapabilities, e.iceServers as RTCIceServer[] | undefined);
    this.view.setStatus('Reconnecting media…');
    call.refreshControls(this.busy);
    try {
      await rebuilt;
    } catch (err) {
      if (!session.isClosed) this.app.fail(err, 'could not reconnect the media');
    }
    if (this.current !== call || session.reconnecting) return; // ended, or a newer reconnect is under way
    this.view.setStatus(call.roster.describe());
    call.refreshControls(this.busy);
  }

  /** A session call (the join ack carries its end): the countdown, and the host's controls. */
  private openSessionPanel(call: ActiveCall, ack: CallJoinAck, hosting: boolean): void {
    const { signaling, sessions } = this.app;
    if (!ack.endsAt || !signaling) return;
    call.hosting = hosting || ack.initiatorId === this.app.userId || sessions.hosts(call.id);
    const actions = hostActions(signaling, call.id, () => (this.current === call ? this.sessionPanel : null), (err, context) => this.app.fail(err, context));
    const panel = new SessionPanel(ack.endsAt, call.hosting, actions);
    this.sessionPanel = panel;
    if (call.hosting) this.view.tileDecorator = (tile, userId) => panel.decorateTile(tile, userId);
    const warned = sessions.warningFor(call.id, ack.endsAt);
    if (warned) panel.timeWarning(warned);
    panel.seed(ack.participants.filter((p) => p.state === 'waiting').map(({ userId, name }) => ({ userId, name })));
  }
}
