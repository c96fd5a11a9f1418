import { C2S, type ServerEvents } from '../../src/signaling/catalogue';
import type { App } from './app';
import type { SessionEventHandlers } from './server-events';
import { forgetGuest, inviteFromLocation, keepGuest, sessionsApi, storedGuest, type ScheduleInput, type SessionSummary } from './sessions-api';
import { Signaling, errorCode } from './signaling';
import type { View } from './ui';

const DENIED_TEXT = { denied: 'The host did not let you in', timeout: 'Nobody let you in in time' } as const;

type TimeWarning = ServerEvents['session:time-warning'];

/**
 * Scheduled sessions around their call: a host's schedule and invite links, a guest's entry
 * from an invite link, and the waiting room a guest is held in until a host admits them.
 */
export class SessionFlow implements SessionEventHandlers {
  /** The session call we wait in the waiting room of (state `waiting`). */
  waitingFor: string | null = null;
  /** The invite link this page was opened from, or null. */
  readonly invite = inviteFromLocation();
  /** A host's bearer token for the sessions API. */
  private token: string | null = null;
  /** The session call a guest token is good for. */
  private guestCallId: string | null = null;
  /** The last time warning, shown again if we get a seat after it arrived (e.g. admitted later). */
  private lastWarning: TimeWarning | null = null;
  private readonly inviteLinks = new Map<string, string>();
  private readonly hostedCallIds = new Set<string>();

  constructor(
    private readonly app: App,
    private readonly view: View,
  ) {}

  // ------------------------------------------------------------------ a host's sessions

  /** Signed in: a host's Sessions panel is shown afresh and loaded. */
  signedIn(token: string): void {
    this.token = token;
    if (!this.app.isHostRole) return;
    this.view.sessions.reset();
    void this.load();
  }

  /** We host this session's call (we scheduled or started it, or the list names us a host). */
  hosts(callId: string): boolean {
    return this.hostedCallIds.has(callId);
  }

  /** The time warning that arrived for this call (and end) before we had a seat in it, if any. */
  warningFor(callId: string, endsAt: string): TimeWarning | null {
    const warned = this.lastWarning;
    return warned?.callId === callId && warned.endsAt === endsAt ? warned : null;
  }

  /** Start/Join on a session row: its call, as a host. */
  start(s: SessionSummary): void {
    this.hostedCallIds.add(s.callId);
    void this.app.calls.enter(async () => s.callId, true);
  }

  async load(): Promise<void> {
    if (!this.token) return;
    try {
      const list = await sessionsApi.list(this.token);
      for (const s of list) if (s.hostIds.includes(this.app.userId ?? '')) this.hostedCallIds.add(s.callId);
      this.view.sessions.render(list, this.inviteLinks);
    } catch (err) {
      this.app.fail(err, 'could not load your sessions');
    }
  }

  async schedule(input: ScheduleInput): Promise<void> {
    if (!this.token) return;
    if (!input.title) return this.view.showError('VALIDATION_FAILED', 'enter a title');
    this.view.showError(null);
    try {
      const s = await sessionsApi.schedule(this.token, input);
      if (s.inviteUrl) this.inviteLinks.set(s.sessionId, s.inviteUrl);
      this.hostedCallIds.add(s.callId);
      this.view.setStatus(`Scheduled "${s.title}"`);
      await this.load();
    } catch (err) {
      this.app.fail(err, 'could not schedule the session');
    }
  }

  async inviteLink(s: SessionSummary): Promise<string> {
    const known = this.inviteLinks.get(s.sessionId);
    if (known || !this.token) return known ?? '';
    try {
      const { inviteUrl } = await sessionsApi.invite(this.token, s.sessionId);
      this.inviteLinks.set(s.sessionId, inviteUrl);
      return inviteUrl;
    } catch (err) {
      this.app.fail(err, 'could not issue an invite link');
      return '';
    }
  }

  // ------------------------------------------------------------------ a guest's invite link

  async joinAsGuest(): Promise<void> {
    const { app, invite } = this;
    const name = this.view.guest.nameInput.value.trim();
    if (!invite || app.calls.current || this.waitingFor) return;
    if (!name) return this.view.showError('VALIDATION_FAILED', 'enter your name');
    this.view.showError(null);
    this.view.guest.stopPreview(); // leaving the camera check
    this.view.guest.joinButton.disabled = true;
    this.view.setStatus('Joining…');
    try {
      // The invite is exchanged once; trying again (e.g. after a refusal) reuses the connection.
      if (!app.signaling) {
        const guest = storedGuest(invite.sessionId) ?? { sessionId: invite.sessionId, ...(await sessionsApi.guestToken(invite.sessionId, invite.invite ?? '', name)) };
        keepGuest(guest);
        const signaling = await Signaling.connect(guest.token).catch((err: unknown) => {
          if (errorCode(err) === 'UNAUTHORIZED') forgetGuest();
          throw err;
        });
        app.userId = guest.userId;
        this.guestCallId = guest.callId;
        app.listen(signaling);
      }
      const callId = this.guestCallId;
      if (callId) await app.calls.enter(async () => callId);
    } catch (err) {
      app.fail(err);
      app.setState('guest', 'Could not join');
    } finally {
      this.view.guest.joinButton.disabled = false;
    }
  }

  // ------------------------------------------------------------------ the waiting room

  /** Held in the waiting room of `callId` until a host admits us. */
  wait(callId: string, status?: string): void {
    this.waitingFor = callId;
    this.app.setState('waiting', status);
  }

  /** `lobby:admitted`: a seat at last. */
  lobbyAdmitted(e: ServerEvents['lobby:admitted']): void {
    if (this.waitingFor !== e.callId || this.app.calls.current) return;
    this.waitingFor = null;
    void this.app.calls.enter(async () => e.callId);
  }

  lobbyDenied(e: ServerEvents['lobby:denied']): void {
    this.leftWaitingRoom(e.callId, `lobby_${e.reason}`, DENIED_TEXT[e.reason] ?? 'You were not let in');
  }

  sessionTimeWarning(e: TimeWarning): void {
    this.lastWarning = e;
    if (this.app.calls.current?.id === e.callId) this.app.calls.sessionPanel?.timeWarning(e);
    else if (this.waitingFor === e.callId) this.view.setStatus(`The session ends in ${Math.round(e.secondsLeft / 60)} min`);
  }

  /** Out of the waiting room of `callId` (denied, removed, the session ended), if we were in it. */
  leftWaitingRoom(callId: string, reason: string, status: string): void {
    if (this.waitingFor !== callId) return;
    this.waitingFor = null;
    this.app.lastEnd = { callId, reason };
    this.app.setIdle(status);
  }

  async leaveWaitingRoom(): Promise<void> {
    const callId = this.waitingFor;
    const signaling = this.app.signaling;
    if (!callId || !signaling) return;
    this.leftWaitingRoom(callId, 'left', 'You left the waiting room');
    await signaling.request(C2S.callLeave, { callId }).catch((err) => {
      if (errorCode(err) !== 'NOT_FOUND') this.app.fail(err);
    });
  }
}
