import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, forbidden, invalidState, notFound } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import type { MediaSource } from '../media/media.types';
import type { WaitingCall } from './call-messages';
import { CallParticipant, LiveCall } from './live-call';
import { SENT_TO_LOBBY } from './call-states';
import { BusyLocks } from './busy-locks';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import { PARTICIPANT_CHANNEL, type Actor, type Identity, type CallChannel } from './ports';
import { SESSION_DIRECTORY, SessionControls, type SessionDirectory } from './session-controls';

export interface SessionDeps {
  config: AppConfig;
  channel: CallChannel;
  media: MediaPort;
  directory: SessionDirectory;
}

/**
 * Scheduled sessions' calls: opened on first join, a waiting room enforced here (no seat, so
 * no router, transports or media, until a host admits), host controls and the session clock.
 * Every exit still goes through the single leave/end paths (CallExits). A session's live call
 * and its waiting room live in the process hosting the call.
 */
@Injectable()
export class SessionCalls {
  private readonly logger = new Logger('Sessions');
  private readonly opening = new Map<string, Promise<LiveCall>>();

  private readonly deps: SessionDeps;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(PARTICIPANT_CHANNEL) channel: CallChannel,
    @Inject(MEDIA_PORT) media: MediaPort,
    @Inject(SESSION_DIRECTORY) directory: SessionDirectory,
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
    private readonly locks: BusyLocks,
  ) {
    this.deps = { config, channel, media, directory };
    exits.whenEnded((call) => {
      if (call.controls) this.closed(call);
    });
  }

  /** The live call of a scheduled session, opened on its first join. */
  open(callId: string): Promise<LiveCall> {
    let pending = this.opening.get(callId);
    if (!pending) {
      pending = this.load(callId).finally(() => this.opening.delete(callId));
      this.opening.set(callId, pending);
    }
    return pending;
  }

  private async load(callId: string): Promise<LiveCall> {
    const live = this.registry.get(callId);
    if (live) return live;
    const info = await this.deps.directory.byCallId(callId);
    if (!info) throw notFound('call');
    if (info.status !== 'scheduled') throw invalidState(`session is ${info.status}`);
    const controls = new SessionControls(info);
    if (controls.endsAt.getTime() <= Date.now()) throw invalidState('session is over');
    const call = new LiveCall(callId, info.createdBy, 'video', null);
    call.controls = controls;
    this.registry.register(call);
    this.schedule(call);
    this.logger.log({ callId, sessionId: info.sessionId }, 'session opened');
    return call;
  }

  /**
   * Applies the session's entry rules. Returns the waiting-room ack, or null when the actor
   * may take a seat now (the caller then seats them as for any call).
   */
  async enter(actor: Actor, call: LiveCall): Promise<WaitingCall | null> {
    const controls = call.controls!;
    let me = call.participants.get(actor.userId);
    if (me?.present) return null; // a rejoin within the grace keeps an admitted seat
    if (controls.blocked.has(actor.userId)) throw forbidden('You cannot rejoin this session');
    const host = controls.isHost(actor.userId);
    const admitted = host || controls.admitted.has(actor.userId) || !controls.info.lobby;
    if (!host && controls.locked && !controls.admitted.has(actor.userId)) throw forbidden('The session is locked');
    if (admitted && !host) {
      const seated = [...call.participants.values()].filter((p) => p.present).length;
      if (seated >= controls.info.maxParticipants) throw new DomainError('FORBIDDEN', 'The session is full');
    }
    if (!me || me.state === 'left') {
      if (!(await this.locks.acquire(actor.userId, call.id))) {
        throw new DomainError('ALREADY_IN_CALL', 'You are already in a call');
      }
      me = new CallParticipant(actor.userId, actor.name, host ? 'host' : 'guest');
      call.addParticipant(me);
      this.registry.indexUser(actor.userId, call.id);
    }
    if (admitted) {
      this.clearLobbyTimer(controls, actor.userId);
      return null;
    }
    me.name = actor.name;
    me.socketId = actor.socketId;
    if (me.state !== 'waiting') me.transition('waiting', new Date(), null, actor.userId);
    this.toHosts(call, (hostId) => this.deps.channel.toUser(hostId, 'lobby:knock', { callId: call.id, userId: actor.userId, name: actor.name }));
    this.startLobbyTimer(call, me);
    this.writer.persist(call);
    return { callId: call.id, state: 'waiting' };
  }

  // ------------------------------------------------------------------ host controls

  admit(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || !p.waiting) throw invalidState('That person is not in the waiting room');
    this.admitOne(call, controls, p, host.userId);
    this.writer.persist(call);
  }

  admitAll(host: Identity, callId: string): { admitted: number } {
    const { call, controls } = this.hosted(host, callId);
    const waiting = [...call.participants.values()].filter((p) => p.waiting);
    for (const p of waiting) this.admitOne(call, controls, p, host.userId);
    this.writer.persist(call);
    return { admitted: waiting.length };
  }

  private admitOne(call: LiveCall, controls: SessionControls, p: CallParticipant, hostId: string): void {
    controls.admitted.add(p.userId);
    this.clearLobbyTimer(controls, p.userId);
    call.recordControl('admit', p.userId, hostId);
    if (p.socketId) this.deps.channel.toSocket(p.socketId, 'lobby:admitted', { callId: call.id });
  }

  deny(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || !p.waiting) throw invalidState('That person is not in the waiting room');
    controls.blocked.add(userId);
    this.clearLobbyTimer(controls, userId);
    if (p.socketId) this.deps.channel.toSocket(p.socketId, 'lobby:denied', { callId, reason: 'denied' });
    this.exits.leaveParticipant(call, p, 'denied', host.userId);
    this.writer.persist(call);
  }

  /** Back to the waiting room: their transports close and their media disappears for everyone. */
  sendBack(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state !== 'joined' || controls.isHost(userId)) throw invalidState('That person is not seated as a participant');
    controls.admitted.delete(userId);
    this.deps.media.removePeer(callId, userId);
    p.transition('waiting', new Date(), SENT_TO_LOBBY, host.userId);
    this.exits.recordMediaState(call, userId, false, false);
    for (const o of call.others(userId)) {
      if (o.state === 'joined') this.deps.channel.toUser(o.userId, 'call:participant-left', { callId, userId, reason: SENT_TO_LOBBY });
    }
    if (p.socketId) this.deps.channel.toSocket(p.socketId, 'lobby:sent-back', { callId });
    // They are waiting again: hosts see them in the waiting list as after any knock.
    this.toHosts(call, (hostId) => this.deps.channel.toUser(hostId, 'lobby:knock', { callId, userId, name: p.name }));
    this.startLobbyTimer(call, p);
    this.writer.persist(call);
  }

  async mute(host: Identity, callId: string, userId: string, source: MediaSource): Promise<{ paused: number }> {
    const { call } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state !== 'joined') throw invalidState('That person is not seated');
    const producers = this.deps.media.producers(callId).filter((x) => x.userId === userId && x.source === source && !x.paused);
    for (const x of producers) await this.deps.media.setProducerPaused(callId, userId, x.producerId, true);
    call.recordControl('mute', userId, host.userId, source);
    if (p.socketId) this.deps.channel.toSocket(p.socketId, 'host:muted', { callId, source, byUserId: host.userId });
    for (const o of call.others(userId)) {
      if (o.state === 'joined') this.deps.channel.toUser(o.userId, 'call:media-toggled', { callId, userId, source, enabled: false });
    }
    const mine = this.deps.media.producers(callId).filter((x) => x.userId === userId && !x.paused);
    this.exits.recordMediaState(call, userId, mine.some((x) => x.kind === 'audio'), mine.some((x) => x.kind === 'video'));
    this.writer.persist(call);
    return { paused: producers.length };
  }

  /** Out of the session for good (a new admission cannot bring them back). */
  remove(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state === 'left' || controls.isHost(userId)) throw invalidState('That person is not a participant');
    controls.blocked.add(userId);
    controls.admitted.delete(userId);
    this.clearLobbyTimer(controls, userId);
    this.deps.channel.toUser(userId, 'host:removed', { callId });
    this.exits.leaveParticipant(call, p, 'removed', host.userId);
    this.writer.persist(call);
  }

  async lock(host: Identity, callId: string, locked: boolean): Promise<void> {
    const { call, controls } = this.hosted(host, callId);
    controls.locked = locked;
    await this.deps.directory.setLocked(controls.info.sessionId, locked);
    call.recordControl(locked ? 'lock' : 'unlock', null, host.userId);
    for (const p of call.participants.values()) if (p.present || p.waiting) this.deps.channel.toUser(p.userId, 'session:locked', { callId, locked });
    this.writer.persist(call);
  }

  async extend(host: Identity, callId: string, minutes: number): Promise<{ endsAt: string }> {
    const { call, controls } = this.hosted(host, callId);
    controls.endsAt = new Date(controls.endsAt.getTime() + minutes * 60_000);
    const duration = Math.round((controls.endsAt.getTime() - controls.info.startsAt.getTime()) / 60_000);
    await this.deps.directory.setDuration(controls.info.sessionId, duration);
    this.schedule(call);
    call.recordControl('extend', null, host.userId, `+${minutes}m`);
    const endsAt = controls.endsAt.toISOString();
    for (const p of call.participants.values()) if (p.present || p.waiting) this.deps.channel.toUser(p.userId, 'session:extended', { callId, endsAt });
    this.writer.persist(call);
    return { endsAt };
  }

  /** The call ended (any path): timers stop, and the session is over. */
  closed(call: LiveCall): void {
    call.controls!.clearTimers();
    void this.deps.directory.markEnded(call.controls!.info.sessionId).catch((err: Error) =>
      this.logger.error({ callId: call.id, err: err.message }, 'could not mark the session ended'),
    );
  }

  // ------------------------------------------------------------------ helpers

  private hosted(who: Identity, callId: string): { call: LiveCall; controls: SessionControls } {
    const call = this.registry.get(callId);
    if (!call?.controls) throw notFound('session call');
    if (!call.controls.isHost(who.userId) && who.role !== 'admin') throw forbidden('Only a host of this session can do that');
    return { call, controls: call.controls };
  }

  private toHosts(call: LiveCall, fn: (hostId: string) => void): void {
    for (const p of call.participants.values()) if (p.present && call.controls!.isHost(p.userId)) fn(p.userId);
  }

  private startLobbyTimer(call: LiveCall, p: CallParticipant): void {
    const controls = call.controls!;
    this.clearLobbyTimer(controls, p.userId);
    const timer = setTimeout(() => {
      controls.lobbyTimers.delete(p.userId);
      if (!p.waiting || call.status === 'ended') return;
      if (p.socketId) this.deps.channel.toSocket(p.socketId, 'lobby:denied', { callId: call.id, reason: 'timeout' });
      this.exits.leaveParticipant(call, p, 'lobby_timeout');
      this.writer.persist(call);
    }, this.deps.config.LOBBY_TIMEOUT_SECONDS * 1000);
    timer.unref();
    controls.lobbyTimers.set(p.userId, timer);
  }

  private clearLobbyTimer(controls: SessionControls, userId: string): void {
    const t = controls.lobbyTimers.get(userId);
    if (t) clearTimeout(t);
    controls.lobbyTimers.delete(userId);
  }

  /** Warnings before the end, then the end itself (`time_limit`), owned by the server. */
  private schedule(call: LiveCall): void {
    const controls = call.controls!;
    for (const t of controls.clockTimers) clearTimeout(t);
    controls.clockTimers = [];
    const left = controls.endsAt.getTime() - Date.now();
    for (const seconds of this.deps.config.SESSION_WARNING_SECONDS) {
      if (left > seconds * 1000) {
        controls.clockTimers.push(
          setTimeout(() => {
            const payload = { callId: call.id, secondsLeft: seconds, endsAt: controls.endsAt.toISOString() };
            for (const p of call.participants.values()) if (p.present || p.waiting) this.deps.channel.toUser(p.userId, 'session:time-warning', payload);
          }, left - seconds * 1000),
        );
      }
    }
    controls.clockTimers.push(setTimeout(() => this.exits.endCall(call, 'time_limit'), Math.max(0, left)));
    for (const t of controls.clockTimers) t.unref();
  }
}
