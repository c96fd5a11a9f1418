import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, forbidden, invalidState, notFound } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { BusyLocks } from './busy-locks';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import type { WaitingCall } from './call-messages';
import { CallParticipant, LiveCall } from './live-call';
import { CALL_OWNERSHIP, OwnedElsewhere, PARTICIPANT_CHANNEL, type Actor, type CallChannel, type CallOwnership } from './ports';
import { SESSION_ADMISSIONS, SESSION_DIRECTORY, SessionControls, endOf, type SessionAdmissions, type SessionDirectory, type SessionInfo } from './session-controls';
import { SessionHostControls } from './session-host-controls';
import { SessionTimers } from './session-timers';
import { SessionWrites } from './session-writes';

/** What a change of a session's row may change on its live call. */
export type SessionChanges = Pick<SessionInfo, 'hostIds' | 'lobby' | 'maxParticipants' | 'locked' | 'startsAt' | 'durationMinutes' | 'inviteVersion'>;

/**
 * Scheduled sessions' calls: opened on first join, entry rules (start window, invites, blocks,
 * lock, size), a waiting room enforced here (no seat, so no router, transports or media, until
 * a host admits), and changes of the session row applied to its live call at once. Host
 * controls are in SessionHostControls, the clock in SessionTimers. Every exit goes through the
 * single leave/end paths (CallExits). A session's live call lives in the process hosting it.
 */
@Injectable()
export class SessionCalls {
  private readonly logger = new Logger('Sessions');
  private readonly opening = new Map<string, Promise<LiveCall>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    @Inject(SESSION_DIRECTORY) private readonly directory: SessionDirectory,
    @Inject(SESSION_ADMISSIONS) private readonly admissions: SessionAdmissions,
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
    private readonly locks: BusyLocks,
    private readonly timers: SessionTimers,
    private readonly hostControls: SessionHostControls,
    private readonly writes: SessionWrites,
    @Inject(CALL_OWNERSHIP) private readonly ownership: CallOwnership,
  ) {
    exits.whenEnded((call) => {
      if (call.controls) this.closed(call);
    });
  }

  /** The live call of a scheduled session, opened on its first join (by a host any time, by others from the start window on). */
  open(callId: string, actor: Actor): Promise<LiveCall> {
    let pending = this.opening.get(callId);
    if (!pending) {
      pending = this.load(callId, actor).finally(() => this.opening.delete(callId));
      this.opening.set(callId, pending);
    }
    return pending;
  }

  private async load(callId: string, actor: Actor): Promise<LiveCall> {
    const live = this.registry.get(callId);
    if (live) return live;
    this.writer.assertRoom();
    const info = await this.directory.byCallId(callId);
    if (!info) throw notFound('call');
    if (info.status !== 'scheduled') throw invalidState(`session is ${info.status}`);
    const controls = new SessionControls(info);
    if (controls.endsAt.getTime() <= Date.now()) throw invalidState('session is over');
    // Nobody but a host opens it early: no empty room waiting for weeks, no clock armed before its time.
    this.assertOpenFor(controls, actor);
    // Two gateways opening one session at once: one owns it, the other relays to it.
    const owner = await this.ownership.claim(callId);
    if (owner) throw new OwnedElsewhere(owner);
    const call = new LiveCall(callId, info.createdBy, 'video', null);
    call.controls = controls;
    if (info.callStatus === 'active') {
      // It ran on a gateway that stopped or died: the same call goes on (its status never moves back).
      call.resume(info.answeredAt);
      call.recordControl('resume', null, actor.userId);
    }
    this.registry.register(call);
    this.timers.schedule(call);
    this.logger.log({ callId, sessionId: info.sessionId, resumed: info.callStatus === 'active' }, 'session opened');
    return call;
  }

  private assertOpenFor(controls: SessionControls, actor: Actor): void {
    if (controls.isHost(actor.userId) || actor.role === 'admin') return;
    const opensAt = controls.opensAt(this.config.SESSION_EARLY_JOIN_MINUTES);
    if (Date.now() < opensAt.getTime()) {
      throw new DomainError('INVALID_STATE', 'The session has not started yet', { opensAt: opensAt.toISOString(), startsAt: controls.info.startsAt.toISOString() });
    }
  }

  /**
   * Applies the session's entry rules. Returns the waiting-room ack, or null when the actor
   * may take a seat now (the caller then seats them as for any call).
   */
  async enter(actor: Actor, call: LiveCall): Promise<WaitingCall | null> {
    const controls = call.controls!;
    if (actor.scope) {
      // A guest token is only as good as the invite it came from: checked on every join.
      const current = actor.scope.inviteVersion === controls.info.inviteVersion && (await this.admissions.inviteValid(actor.scope.inviteId));
      if (!current) throw forbidden('Your invite was revoked');
      controls.guestInvites.set(actor.userId, actor.scope.inviteId);
    }
    if (controls.blocked.has(actor.userId)) throw forbidden('You cannot rejoin this session');
    let me = call.participants.get(actor.userId);
    if (me?.present) return null; // a rejoin within the grace keeps an admitted seat
    this.assertOpenFor(controls, actor);
    const host = controls.isHost(actor.userId);
    const admitted = host || controls.admitted.has(actor.userId) || !controls.info.lobby;
    if (!host && controls.locked && !controls.admitted.has(actor.userId)) throw forbidden('The session is locked');
    if (admitted && !host) {
      const seated = [...call.participants.values()].filter((p) => p.present).length;
      if (seated >= controls.info.maxParticipants) throw new DomainError('FORBIDDEN', 'The session is full');
    }
    if (!admitted && me?.state !== 'waiting') {
      const waiting = [...call.participants.values()].filter((p) => p.waiting).length;
      if (waiting >= this.config.LOBBY_MAX_WAITING) throw forbidden('The waiting room is full');
    }
    if (!me || me.state === 'left') {
      // Being rung (by anyone, any number of times) never keeps someone out of their own session:
      // joining it declines the call that rings.
      const ringing = this.registry.callOf(actor.userId);
      const mine = ringing?.participants.get(actor.userId);
      if (ringing && ringing.id !== call.id && mine?.pending && mine.role === 'callee') this.exits.decline(ringing, mine);
      if (!(await this.locks.acquire(actor.userId, call.id))) {
        throw new DomainError('ALREADY_IN_CALL', 'You are already in a call');
      }
      me = new CallParticipant(actor.userId, actor.name, host ? 'host' : 'guest');
      call.addParticipant(me);
      this.registry.indexUser(actor.userId, call.id);
    }
    if (admitted) {
      this.timers.clearLobbyTimer(controls, actor.userId);
      return null;
    }
    me.name = actor.name;
    me.socketId = actor.socketId;
    me.nodeId = actor.nodeId ?? null;
    if (me.state !== 'waiting') me.transition('waiting', new Date(), null, actor.userId);
    for (const hostId of call.presentHosts()) this.exits.send(call, hostId, 'lobby:knock', { callId: call.id, userId: actor.userId, name: actor.name });
    this.timers.startLobbyTimer(call, me);
    this.writer.persist(call);
    return { callId: call.id, state: 'waiting' };
  }

  // ------------------------------------------------------------------ the session row changed

  /**
   * A host changed the session (PATCH): its live call follows at once. A co-host taken off the
   * list loses host powers now; a new end re-arms the clock (or ends the call if it has passed);
   * turning the waiting room off admits whoever waits.
   */
  applyChanges(callId: string, changes: SessionChanges, actorId: string): void {
    const call = this.registry.get(callId);
    const controls = call?.controls;
    if (!call || !controls || call.status === 'ended') return;
    const before = controls.info;
    controls.info = { ...before, ...changes };
    controls.hostIds = new Set(changes.hostIds);
    call.recordControl('update', null, actorId);
    if (changes.locked !== before.locked) {
      controls.locked = changes.locked;
      for (const p of call.participants.values()) if (p.present || p.waiting) this.exits.send(call, p.userId, 'session:locked', { callId, locked: changes.locked });
    }
    if (before.lobby && !changes.lobby) this.hostControls.admitWaiting(call, actorId);
    const endsAt = endOf(changes);
    if (endsAt.getTime() !== controls.endsAt.getTime()) {
      controls.endsAt = endsAt;
      this.timers.schedule(call);
      for (const p of call.participants.values()) if (p.present || p.waiting) this.exits.send(call, p.userId, 'session:extended', { callId, endsAt: endsAt.toISOString() });
    }
    this.writer.persist(call);
  }

  /** The session was cancelled: its live call ends for everyone (`cancelled`). Resolves once that is on record. */
  async cancel(callId: string, actorId: string): Promise<void> {
    const call = this.registry.get(callId);
    if (!call?.controls) return;
    this.exits.endCall(call, 'cancelled', actorId);
    await this.writer.flush();
  }

  /** An invite was revoked: whoever came with it is out of the live call now, waiting or seated. */
  inviteRevoked(callId: string, inviteId: string, actorId: string): number {
    const call = this.registry.get(callId);
    const controls = call?.controls;
    if (!call || !controls) return 0;
    let removed = 0;
    for (const [userId, id] of controls.guestInvites) {
      const p = call.participants.get(userId);
      if (id !== inviteId || !p || p.state === 'left') continue;
      this.exits.send(call, userId, 'host:removed', { callId });
      this.exits.leaveParticipant(call, p, 'removed', actorId);
      removed++;
    }
    if (removed) {
      this.exits.endIfOver(call);
      this.writer.persist(call);
    }
    return removed;
  }

  /**
   * This gateway is stopping: the session's call is not over, only its people and media are.
   * Everyone leaves (`connection_lost`), every lock and media object goes, and the call stays
   * open on record, so the session can be resumed (on any gateway) until its end.
   */
  suspend(call: LiveCall): void {
    if (!call.controls || call.status === 'ended') return;
    call.controls.clearTimers();
    for (const p of call.participants.values()) this.exits.leaveParticipant(call, p, 'connection_lost');
    call.recordControl('suspend', null, null, 'gateway_stopped');
    call.suspended = true;
    this.exits.forget(call);
    this.writer.persist(call);
    this.logger.log({ callId: call.id, sessionId: call.controls.info.sessionId }, 'session suspended: this gateway is stopping');
  }

  /** The call ended (any path): timers stop, and the session is over (a cancellation records itself). */
  closed(call: LiveCall): void {
    call.controls!.clearTimers();
    if (call.endReason === 'cancelled') return;
    this.writes.markEnded(call.controls!.info.sessionId);
  }
}
