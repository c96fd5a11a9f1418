import { Inject, Injectable, Logger } from '@nestjs/common';
import { forbidden, invalidState, notFound } from '../common/domain-error';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import type { MediaSource } from '../media/media.types';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import { SENT_TO_LOBBY } from './call-states';
import type { CallParticipant, LiveCall } from './live-call';
import { PARTICIPANT_CHANNEL, type CallChannel, type Identity } from './ports';
import type { SessionControls } from './session-controls';
import { SessionWrites } from './session-writes';
import { SessionTimers } from './session-timers';

/**
 * What a session's hosts (and admins) may do on its live call: admit, deny, send back, mute,
 * remove, lock, extend. Everyone else gets FORBIDDEN. A denial or removal is for good: the
 * person, and the invite they came with, are blocked in the database.
 */
@Injectable()
export class SessionHostControls {
  private readonly logger = new Logger('Sessions');

  constructor(
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    private readonly writes: SessionWrites,
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
    private readonly timers: SessionTimers,
  ) {}

  admit(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || !p.waiting) throw invalidState('That person is not in the waiting room');
    this.admitOne(call, controls, p, host.userId);
    this.writer.persist(call);
  }

  admitAll(host: Identity, callId: string): { admitted: number } {
    const { call } = this.hosted(host, callId);
    const admitted = this.admitWaiting(call, host.userId);
    this.writer.persist(call);
    return { admitted };
  }

  /** Admits everyone in the waiting room (a host's admit-all, or the waiting room switched off). */
  admitWaiting(call: LiveCall, actorId: string): number {
    const waiting = [...call.participants.values()].filter((p) => p.waiting);
    for (const p of waiting) this.admitOne(call, call.controls!, p, actorId);
    return waiting.length;
  }

  private admitOne(call: LiveCall, controls: SessionControls, p: CallParticipant, hostId: string): void {
    controls.admitted.add(p.userId);
    this.timers.clearLobbyTimer(controls, p.userId);
    call.recordControl('admit', p.userId, hostId);
    if (p.socketId) this.channel.toSocket(p.socketId, 'lobby:admitted', { callId: call.id });
  }

  deny(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || !p.waiting) throw invalidState('That person is not in the waiting room');
    this.block(call, controls, userId);
    if (p.socketId) this.channel.toSocket(p.socketId, 'lobby:denied', { callId, reason: 'denied' });
    this.exits.leaveParticipant(call, p, 'denied', host.userId);
    this.writer.persist(call);
  }

  /** Back to the waiting room: their transports close and their media disappears for everyone. */
  sendBack(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state !== 'joined' || controls.isHost(userId)) throw invalidState('That person is not seated as a participant');
    controls.admitted.delete(userId);
    this.media.removePeer(callId, userId);
    p.transition('waiting', new Date(), SENT_TO_LOBBY, host.userId);
    this.exits.recordMediaState(call, userId, false, false);
    for (const o of call.others(userId)) {
      if (o.state === 'joined') this.exits.send(call, o.userId, 'call:participant-left', { callId, userId, reason: SENT_TO_LOBBY });
    }
    if (p.socketId) this.channel.toSocket(p.socketId, 'lobby:sent-back', { callId });
    // They are waiting again: hosts see them in the waiting list as after any knock.
    for (const hostId of call.presentHosts()) this.exits.send(call, hostId, 'lobby:knock', { callId, userId, name: p.name });
    this.timers.startLobbyTimer(call, p);
    this.writer.persist(call);
  }

  async mute(host: Identity, callId: string, userId: string, source: MediaSource): Promise<{ paused: number }> {
    const { call } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state !== 'joined') throw invalidState('That person is not seated');
    const producers = this.media.producers(callId).filter((x) => x.userId === userId && x.source === source && !x.paused);
    for (const x of producers) await this.media.setProducerPaused(callId, userId, x.producerId, true);
    call.recordControl('mute', userId, host.userId, source);
    if (p.socketId) this.channel.toSocket(p.socketId, 'host:muted', { callId, source, byUserId: host.userId });
    for (const o of call.others(userId)) {
      if (o.state === 'joined') this.exits.send(call, o.userId, 'call:media-toggled', { callId, userId, source, enabled: false });
    }
    const mine = this.media.producers(callId).filter((x) => x.userId === userId && !x.paused);
    this.exits.recordMediaState(call, userId, mine.some((x) => x.kind === 'audio'), mine.some((x) => x.kind === 'video'));
    this.writer.persist(call);
    return { paused: producers.length };
  }

  /** Out of the session for good (a new admission cannot bring them back). */
  remove(host: Identity, callId: string, userId: string): void {
    const { call, controls } = this.hosted(host, callId);
    const p = call.participants.get(userId);
    if (!p || p.state === 'left' || controls.isHost(userId)) throw invalidState('That person is not a participant');
    this.block(call, controls, userId);
    this.exits.send(call, userId, 'host:removed', { callId });
    this.exits.leaveParticipant(call, p, 'removed', host.userId);
    this.writer.persist(call);
  }

  async lock(host: Identity, callId: string, locked: boolean): Promise<void> {
    const { call, controls } = this.hosted(host, callId);
    controls.locked = locked;
    await this.writes.setLocked(controls.info.sessionId, locked);
    call.recordControl(locked ? 'lock' : 'unlock', null, host.userId);
    for (const p of call.participants.values()) if (p.present || p.waiting) this.exits.send(call, p.userId, 'session:locked', { callId, locked });
    this.writer.persist(call);
  }

  async extend(host: Identity, callId: string, minutes: number): Promise<{ endsAt: string }> {
    const { call, controls } = this.hosted(host, callId);
    controls.endsAt = new Date(controls.endsAt.getTime() + minutes * 60_000);
    const duration = Math.round((controls.endsAt.getTime() - controls.info.startsAt.getTime()) / 60_000);
    await this.writes.setDuration(controls.info.sessionId, duration);
    this.timers.schedule(call);
    call.recordControl('extend', null, host.userId, `+${minutes}m`);
    const endsAt = controls.endsAt.toISOString();
    for (const p of call.participants.values()) if (p.present || p.waiting) this.exits.send(call, p.userId, 'session:extended', { callId, endsAt });
    this.writer.persist(call);
    return { endsAt };
  }

  private hosted(who: Identity, callId: string): { call: LiveCall; controls: SessionControls } {
    const call = this.registry.get(callId);
    if (!call?.controls) throw notFound('session call');
    if (!call.controls.isHost(who.userId) && who.role !== 'admin') throw forbidden('Only a host of this session can do that');
    return { call, controls: call.controls };
  }

  /** Never admitted again: here at once, and in the database for every later join and gateway. */
  private block(call: LiveCall, controls: SessionControls, userId: string): void {
    controls.blocked.add(userId);
    controls.admitted.delete(userId);
    this.timers.clearLobbyTimer(controls, userId);
    const inviteId = controls.guestInvites.get(userId) ?? null;
    this.writes.block(controls.info.sessionId, userId, inviteId);
  }
}
