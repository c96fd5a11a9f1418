import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError, forbidden, invalidState, notFound } from '../common/domain-error';
import { MEDIA_PORT, type MediaPort, type RoomSink } from '../media/media.port';
import { PresenceService } from '../presence/presence.service';
import { BusyLocks } from './busy-locks';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import type { InitiateCall, JoinedCall, WaitingCall } from './call-messages';
import { CallParticipant, LiveCall } from './live-call';
import { iceServersFromSettings } from './ice-servers';
import { SessionCalls } from './session-calls';
import { CALL_METRICS, CALL_OWNERSHIP, NO_METRICS, PARTICIPANT_CHANNEL, type CallOwnership, type Actor, type CallMetrics, type Identity, type CallChannel } from './ports';

export type { Actor } from './ports';

/**
 * The call requests: initiate, join, decline, cancel, leave, end, and a device going away.
 * The live calls are in CallRegistry; every exit goes through CallExits; locks through
 * BusyLocks; the record through CallLogWriter. Session calls' own rules are in SessionCalls.
 */
@Injectable()
export class CallService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Calls');
  private readonly initiating = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    private readonly presence: PresenceService,
    private readonly registry: CallRegistry,
    private readonly writer: CallLogWriter,
    private readonly locks: BusyLocks,
    private readonly exits: CallExits,
    private readonly sessions: SessionCalls,
    @Inject(CALL_OWNERSHIP) private readonly ownership: CallOwnership,
    @Optional() @Inject(CALL_METRICS) private readonly metrics: CallMetrics = NO_METRICS,
  ) {}

  // ---------------------------------------------------------------- lifecycle requests

  /** One initiate at a time per caller, so a double-click or a retry lands on the same call. */
  initiate(actor: Actor, req: InitiateCall): Promise<{ callId: string }> {
    const prev = this.initiating.get(actor.userId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.initiateNow(actor, req));
    this.initiating.set(actor.userId, next);
    const cleanup = () => {
      if (this.initiating.get(actor.userId) === next) this.initiating.delete(actor.userId);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  private async initiateNow(actor: Actor, req: InitiateCall): Promise<{ callId: string }> {
    const started = performance.now();
    if (actor.scope) throw forbidden('A session guest can only join that session');
    const calleeIds = [...new Set(req.calleeIds)];
    if (calleeIds.includes(actor.userId)) throw new DomainError('VALIDATION_FAILED', 'calleeIds: cannot call yourself');

    const current = this.callOf(actor.userId);
    if (current) {
      const me = current.participants.get(actor.userId);
      // The same caller asking again for the same people while it rings: same call.
      if (current.initiatorId === actor.userId && current.status !== 'active' && sameSet(current.others(actor.userId).map((p) => p.userId), calleeIds)) {
        return { callId: current.id };
      }
      // Calling back the person who is ringing you right now: that is the same call.
      if (me?.pending && calleeIds.length === 1 && calleeIds[0] === current.initiatorId) return { callId: current.id };
      // Calling back, after a drop, the people you are still in a call with: that call (join it to take your seat back).
      const others = current.others(actor.userId).filter((p) => p.present).map((p) => p.userId);
      if (me?.present && current.status === 'active' && sameSet(others, calleeIds)) return { callId: current.id };
      throw new DomainError('ALREADY_IN_CALL', 'You are already in a call', { callId: current.id });
    }

    const devices = await Promise.all(calleeIds.map((id) => this.presence.store.deviceCount(id)));
    const offline = calleeIds.filter((_, i) => devices[i] === 0);
    if (offline.length) throw new DomainError('USER_OFFLINE', 'User is offline', { offlineUserIds: offline });

    this.writer.assertRoom();
    const callId = randomUUID();
    await this.ownership.claim(callId); // a new id: always this node's
    const locked = await this.locks.acquireAll(actor.userId, calleeIds, callId);
    if (locked.kind !== 'ok') this.ownership.release(callId);
    if (locked.kind === 'caller-busy') throw new DomainError('ALREADY_IN_CALL', 'You are already in a call', { callId: locked.heldBy ?? undefined });
    if (locked.kind === 'callees-busy') throw new DomainError('USER_BUSY', 'User is currently in another call', { busyUserIds: locked.busy });

    const call = new LiveCall(callId, actor.userId, req.media, req.conversationId ?? null);
    const caller = new CallParticipant(actor.userId, actor.name, 'initiator');
    call.addParticipant(caller);
    caller.transition('joined', new Date(), null, actor.userId);
    caller.socketId = actor.socketId;
    caller.nodeId = actor.nodeId ?? null;
    for (const id of calleeIds) call.addParticipant(new CallParticipant(id, id, 'callee'));
    this.registry.register(call);
    for (const id of call.participants.keys()) this.registry.indexUser(id, call.id);
    call.ringTimer = setTimeout(() => this.exits.endCall(call, 'missed'), this.config.RING_TIMEOUT_SECONDS * 1000);
    call.ringTimer.unref();
    this.logger.log({ callId: call.id, userId: actor.userId, callees: calleeIds.length, media: req.media }, 'call initiated');

    for (const id of calleeIds) {
      this.exits.send(call, id, 'call:incoming', {
        callId: call.id,
        from: { userId: actor.userId, name: actor.name },
        media: req.media,
        ...(call.conversationId ? { conversationId: call.conversationId } : {}),
      });
      const p = call.participants.get(id)!;
      if (p.transition('ringing')) this.exits.send(call, actor.userId, 'call:ringing', { callId: call.id, userId: id });
    }
    call.transition('ringing');
    this.metrics.ringLatency((performance.now() - started) / 1000);
    this.writer.persist(call);
    return { callId: call.id };
  }

  async join(actor: Actor, callId: string): Promise<JoinedCall | WaitingCall> {
    const started = performance.now();
    if (actor.scope && actor.scope.callId !== callId) throw forbidden('A session guest can only join that session');
    const call = this.registry.get(callId) ?? (await this.sessions.open(callId, actor));
    if (call.controls) {
      const waiting = await this.sessions.enter(actor, call);
      if (waiting) return waiting;
    }
    const me = call.participants.get(actor.userId);
    if (!me || me.state === 'left') throw forbidden('You are not a participant of this call');

    const rejoin = me.present && me.socketId !== null;
    if (rejoin) {
      // A new device or a refreshed page takes the seat: the old device's media goes, and the
      // old device (if still connected) is told its seat moved.
      this.media.removePeer(call.id, actor.userId);
      if (me.socketId !== actor.socketId && me.state === 'joined') {
        this.channel.toSocket(me.socketId!, 'call:answered-elsewhere', { callId: call.id });
        me.displaced.add(me.socketId!);
      }
      me.displaced.delete(actor.socketId);
      this.exits.clearGrace(me);
      if (me.state === 'reconnecting') me.transition('joined');
    } else if (!me.transition('joined', new Date(), null, actor.userId)) {
      throw invalidState(`cannot join from state ${me.state}`);
    } else if (me.role === 'callee') {
      this.channel.toUserExcept(actor.userId, actor.socketId, 'call:answered-elsewhere', { callId: call.id });
    }
    me.name = actor.name;
    me.socketId = actor.socketId;
    me.nodeId = actor.nodeId ?? null;

    const { rtpCapabilities } = await this.media.openRoom(call.id, this.roomSink(call));
    if (call.status === 'ended') {
      // The call ended while its router was being created: that router must not outlive it.
      this.media.closeRoom(call.id);
      throw invalidState('call has ended');
    }
    if ((me.role === 'callee' || call.controls) && call.transition('active', undefined, new Date(), actor.userId)) {
      if (call.ringTimer) clearTimeout(call.ringTimer);
      call.ringTimer = null;
      this.logger.log({ callId: call.id, userId: actor.userId }, 'call answered');
    }
    if (!rejoin || me.role === 'callee') {
      for (const other of call.others(actor.userId)) {
        if (other.present) this.exits.send(call, other.userId, 'call:participant-joined', { callId: call.id, userId: actor.userId, name: actor.name, role: me.role });
      }
    }
    this.writer.persist(call);
    this.metrics.joinLatency((performance.now() - started) / 1000);
    return {
      callId: call.id,
      initiatorId: call.initiatorId,
      media: call.media,
      routerRtpCapabilities: rtpCapabilities,
      iceServers: iceServersFromSettings(this.config, actor.userId),
      participants: [...call.participants.values()].map((p) => ({ userId: p.userId, name: p.name, state: p.state, role: p.role })),
      producers: this.media.producers(call.id).filter((p) => p.userId !== actor.userId),
      ...(call.controls ? { endsAt: call.controls.endsAt.toISOString() } : {}),
    };
  }

  decline(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    if (!me || me.role !== 'callee') throw forbidden('Only a callee can decline');
    if (!me.pending) throw invalidState('You have already answered or left this call');
    this.exits.decline(call, me);
  }

  cancel(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    if (call.initiatorId !== actor.userId) throw forbidden('Only the caller can cancel');
    if (call.status === 'active') throw invalidState('The call was already answered; use call:end');
    this.exits.endCall(call, 'cancelled', actor.userId);
  }

  leave(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    if (!me || me.state === 'left') throw forbidden('You are not a participant of this call');
    this.exits.leaveParticipant(call, me, me.pending ? 'declined' : 'left');
    this.exits.endIfOver(call);
  }

  end(actor: Identity, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    const host = call.controls ? call.controls.isHost(actor.userId) : call.initiatorId === actor.userId;
    const allowed = actor.role === 'admin' || (me && (!call.isGroup || host)) || (call.controls !== null && host);
    if (!allowed) throw forbidden(call.isGroup ? 'Only the host can end a group call' : 'You are not a participant of this call');
    this.exits.endCall(call, actor.role === 'admin' && !me ? 'force_ended' : call.status === 'active' ? 'completed' : 'cancelled', actor.userId);
  }

  /** An operator ends a call for everyone: reason `force_ended`, same single end path. */
  forceEnd(admin: Identity, callId: string): void {
    const call = this.liveCall(callId);
    this.logger.warn({ callId, userId: admin.userId }, 'call force-ended by an operator');
    this.exits.endCall(call, 'force_ended', admin.userId);
  }

  /** A socket went away: its seat waits for the reconnect grace, then the user leaves. */
  onDisconnect(userId: string, socketId: string): void {
    const call = this.callOf(userId);
    const me = call?.participants.get(userId);
    if (call && me?.waiting && me.socketId === socketId) {
      this.exits.leaveParticipant(call, me, 'left');
      this.writer.persist(call);
      return;
    }
    if (!call || !me || me.socketId !== socketId || !me.present) return;
    this.media.removePeer(call.id, userId);
    if (me.state === 'joined' && call.status === 'active') {
      me.transition('reconnecting');
      for (const other of call.others(userId)) {
        if (other.present) this.exits.send(call, other.userId, 'call:participant-reconnecting', { callId: call.id, userId });
      }
    }
    this.exits.clearGrace(me);
    me.graceTimer = setTimeout(() => {
      me.graceTimer = null;
      if (call.status === 'ended' || me.socketId !== socketId || me.state === 'left') return;
      this.exits.leaveParticipant(call, me, 'connection_lost');
      this.exits.endIfOver(call, 'connection_lost');
    }, this.config.RECONNECT_GRACE_SECONDS * 1000);
    me.graceTimer.unref();
    this.writer.persist(call);
  }

  private callOf(userId: string): LiveCall | undefined {
    return this.registry.callOf(userId);
  }

  /**
   * The call's media starts again on this node's workers (it moved here from another node):
   * every seated participant gets `media:reconnect` and builds new transports.
   */
  async rehome(call: LiveCall, reason: 'migrated' | 'node_lost'): Promise<void> {
    const sink = this.roomSink(call);
    const { rtpCapabilities } = await this.media.openRoom(call.id, sink);
    sink.rehomed(rtpCapabilities, reason);
  }

  private readonly stopHooks: (() => Promise<void>)[] = [];

  /** Runs before this gateway ends or suspends its calls on shutdown (a cluster node moves them elsewhere first). */
  beforeStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook);
  }

  // ---------------------------------------------------------------- helpers

  private roomSink(call: LiveCall): RoomSink {
    return {
      producerClosed: (producerId, ownerId) =>
        this.exits.toPresentOthers(call, ownerId, (p) => this.channel.toSocket(p.socketId!, 'media:producer-closed', { callId: call.id, producerId })),
      consumerClosed: (userId, consumerId) => {
        const p = call.participants.get(userId);
        if (p?.socketId) this.channel.toSocket(p.socketId, 'media:consumer-closed', { callId: call.id, consumerId });
      },
      rehomed: (routerRtpCapabilities, reason) => {
        this.logger.warn({ callId: call.id, reason }, 'media moved to another worker; participants reconnect');
        for (const p of call.participants.values()) {
          if (p.state === 'joined' && p.socketId) {
            // New transports allocate new relays: credentials minted now, not the join's (they may have expired).
            this.channel.toSocket(p.socketId, 'media:reconnect', { callId: call.id, reason, routerRtpCapabilities, iceServers: iceServersFromSettings(this.config, p.userId) });
          }
          p.audioEnabled = false;
          p.videoEnabled = false;
        }
        this.writer.persist(call);
      },
      failed: (reason) => {
        this.logger.error({ callId: call.id, reason }, 'media room failed');
        this.exits.endCall(call, 'failed');
      },
    };
  }

  private liveCall(callId: string): LiveCall {
    const call = this.registry.get(callId);
    if (!call) throw notFound('call');
    return call;
  }

  /**
   * Before sockets and stores close: media dies with the process, so every ordinary call ends
   * (`failed`), once, told to everyone; a session's call is suspended instead (it can be resumed
   * until the session's end, here after a restart or on another gateway).
   */
  async beforeApplicationShutdown(): Promise<void> {
    for (const hook of this.stopHooks) {
      await hook().catch((err: Error) => this.logger.error({ err: err.message }, 'moving calls before shutdown failed'));
    }
    for (const call of this.registry.liveCalls()) {
      if (call.controls) this.sessions.suspend(call);
      else this.exits.endCall(call, 'failed');
    }
    await Promise.all([this.writer.flush(), this.locks.flush()]);
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
