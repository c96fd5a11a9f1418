import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError, forbidden, invalidState, notFound } from '../common/domain-error';
import { MEDIA_PORT, type MediaPort, type RoomSink } from '../media/media.port';
import type { CallInitiateRequest, CallJoinAck, CallWaitingAck } from '../signaling/catalogue';
import { PresenceService } from '../presence/presence.service';
import { CallParticipant, CallSession } from './call-session';
import type { EndReason, LeaveReason } from './call-states';
import { iceServersFromSettings } from './ice-servers';
import { SessionCalls } from './session-calls';
import { SESSION_DIRECTORY, type SessionDirectory } from './session-lobby';
import { CALL_LOG_STORE, CALL_METRICS, NO_METRICS, PARTICIPANT_CHANNEL, type CallLogStore, type CallMetrics, type Identity, type ParticipantChannel } from './ports';

/** The caller of a request: who, and from which device. */
export interface Actor extends Identity {
  socketId: string;
}

/**
 * All call state lives here and only here. Every end goes through `endCall`, and every
 * participant exit through `leaveParticipant`: the only places that release a user.
 */
@Injectable()
export class CallService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Calls');
  private readonly calls = new Map<string, CallSession>();
  /** userId -> callId of the one call the user is in (ringing, joined or reconnecting). */
  private readonly userCall = new Map<string, string>();
  private readonly persistQueue = new Map<string, Promise<void>>();
  private readonly lockOps = new Set<Promise<unknown>>();
  private readonly initiating = new Map<string, Promise<unknown>>();
  private lockRefresher?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: ParticipantChannel,
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    private readonly presence: PresenceService,
    @Inject(SESSION_DIRECTORY) directory: SessionDirectory,
    @Optional() @Inject(CALL_METRICS) private readonly metrics: CallMetrics = NO_METRICS,
  ) {
    this.sessions = new SessionCalls(this, { config, channel, media, locks: presence.store, directory });
  }

  /** Scheduled sessions' calls: waiting room, host controls and clock. */
  readonly sessions: SessionCalls;


  get lockTtlMs(): number {
    return this.config.BUSY_LOCK_TTL_SECONDS * 1000;
  }

  onModuleInit(): void {
    this.lockRefresher = setInterval(() => void this.refreshLocks(), this.lockTtlMs / 3);
    this.lockRefresher.unref();
  }

  // ---------------------------------------------------------------- lifecycle requests

  /** One initiate at a time per caller, so a double-click or a retry lands on the same call. */
  initiate(actor: Actor, req: CallInitiateRequest): Promise<{ callId: string }> {
    const prev = this.initiating.get(actor.userId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.initiateNow(actor, req));
    this.initiating.set(actor.userId, next);
    const cleanup = () => {
      if (this.initiating.get(actor.userId) === next) this.initiating.delete(actor.userId);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  private async initiateNow(actor: Actor, req: CallInitiateRequest): Promise<{ callId: string }> {
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

    const callId = randomUUID();
    const store = this.presence.store;
    if (!(await store.acquireBusy(actor.userId, callId, this.lockTtlMs))) {
      throw new DomainError('ALREADY_IN_CALL', 'You are already in a call', { callId: (await store.busyHolder(actor.userId)) ?? undefined });
    }
    const got = await Promise.all(calleeIds.map((id) => store.acquireBusy(id, callId, this.lockTtlMs)));
    const busy = calleeIds.filter((_, i) => !got[i]);
    if (busy.length) {
      await Promise.all([actor.userId, ...calleeIds.filter((_, i) => got[i])].map((id) => store.releaseBusy(id, callId)));
      throw new DomainError('USER_BUSY', 'User is currently in another call', { busyUserIds: busy });
    }

    const call = new CallSession(callId, actor.userId, req.media, req.conversationId ?? null);
    const caller = new CallParticipant(actor.userId, actor.name, 'initiator');
    call.addParticipant(caller);
    caller.transition('joined', new Date(), null, actor.userId);
    caller.socketId = actor.socketId;
    for (const id of calleeIds) call.addParticipant(new CallParticipant(id, id, 'callee'));
    this.calls.set(call.id, call);
    for (const id of call.participants.keys()) {
      this.userCall.set(id, call.id);
      void this.presence.announce(id);
    }
    call.ringTimer = setTimeout(() => this.endCall(call, 'missed'), this.config.RING_TIMEOUT_SECONDS * 1000);
    this.logger.log({ callId: call.id, userId: actor.userId, callees: calleeIds.length, media: req.media }, 'call initiated');

    for (const id of calleeIds) {
      this.channel.toUser(id, 'call:incoming', {
        callId: call.id,
        from: { userId: actor.userId, name: actor.name },
        media: req.media,
        ...(call.conversationId ? { conversationId: call.conversationId } : {}),
      });
      const p = call.participants.get(id)!;
      if (p.transition('ringing')) this.channel.toUser(actor.userId, 'call:ringing', { callId: call.id, userId: id });
    }
    call.transition('ringing');
    this.metrics.ringLatency((performance.now() - started) / 1000);
    this.persist(call);
    return { callId: call.id };
  }

  async join(actor: Actor, callId: string): Promise<CallJoinAck | CallWaitingAck> {
    const started = performance.now();
    if (actor.scope && actor.scope.callId !== callId) throw forbidden('A session guest can only join that session');
    const call = this.calls.get(callId) ?? (await this.sessions.open(callId));
    if (call.session) {
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
      }
      this.clearGrace(me);
      if (me.state === 'reconnecting') me.transition('joined');
    } else if (!me.transition('joined', new Date(), null, actor.userId)) {
      throw invalidState(`cannot join from state ${me.state}`);
    } else if (me.role === 'callee') {
      this.channel.toUserExcept(actor.userId, actor.socketId, 'call:answered-elsewhere', { callId: call.id });
    }
    me.name = actor.name;
    me.socketId = actor.socketId;

    const { rtpCapabilities } = await this.media.openRoom(call.id, this.roomSink(call));
    if (call.status === 'ended') {
      // The call ended while its router was being created: that router must not outlive it.
      this.media.closeRoom(call.id);
      throw invalidState('call has ended');
    }
    if ((me.role === 'callee' || call.session) && call.transition('active', undefined, new Date(), actor.userId)) {
      if (call.ringTimer) clearTimeout(call.ringTimer);
      call.ringTimer = null;
      this.logger.log({ callId: call.id, userId: actor.userId }, 'call answered');
    }
    if (!rejoin || me.role === 'callee') {
      for (const other of call.others(actor.userId)) {
        if (other.present) this.channel.toUser(other.userId, 'call:participant-joined', { callId: call.id, userId: actor.userId, name: actor.name });
      }
    }
    this.persist(call);
    this.metrics.joinLatency((performance.now() - started) / 1000);
    return {
      callId: call.id,
      initiatorId: call.initiatorId,
      media: call.media,
      routerRtpCapabilities: rtpCapabilities,
      iceServers: iceServersFromSettings(this.config, actor.userId),
      participants: [...call.participants.values()].map((p) => ({ userId: p.userId, name: p.name, state: p.state })),
      producers: this.media.producers(call.id).filter((p) => p.userId !== actor.userId),
      ...(call.session ? { endsAt: call.session.endsAt.toISOString() } : {}),
    };
  }

  decline(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    if (!me || me.role !== 'callee') throw forbidden('Only a callee can decline');
    if (!me.pending) throw invalidState('You have already answered or left this call');
    this.leaveParticipant(call, me, 'declined');
    this.channel.toUser(call.initiatorId, 'call:declined', { callId: call.id, userId: actor.userId });
    if (![...call.participants.values()].some((p) => p.role === 'callee' && p.state !== 'left')) this.endCall(call, 'declined', actor.userId);
    else this.persist(call);
  }

  cancel(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    if (call.initiatorId !== actor.userId) throw forbidden('Only the caller can cancel');
    if (call.status === 'active') throw invalidState('The call was already answered; use call:end');
    this.endCall(call, 'cancelled', actor.userId);
  }

  leave(actor: Actor, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    if (!me || me.state === 'left') throw forbidden('You are not a participant of this call');
    this.leaveParticipant(call, me, me.pending ? 'declined' : 'left');
    this.endIfOver(call);
  }

  end(actor: Identity, callId: string): void {
    const call = this.liveCall(callId);
    const me = call.participants.get(actor.userId);
    const host = call.session ? call.session.isHost(actor.userId) : call.initiatorId === actor.userId;
    const allowed = actor.role === 'admin' || (me && (!call.isGroup || host)) || (call.session !== null && host);
    if (!allowed) throw forbidden(call.isGroup ? 'Only the host can end a group call' : 'You are not a participant of this call');
    this.endCall(call, actor.role === 'admin' && !me ? 'force_ended' : call.status === 'active' ? 'completed' : 'cancelled', actor.userId);
  }

  /** An operator ends a call for everyone: reason `force_ended`, same single end path. */
  forceEnd(admin: Identity, callId: string): void {
    const call = this.liveCall(callId);
    this.logger.warn({ callId, userId: admin.userId }, 'call force-ended by an operator');
    this.endCall(call, 'force_ended', admin.userId);
  }

  /** A socket went away: its seat waits for the reconnect grace, then the user leaves. */
  onDisconnect(userId: string, socketId: string): void {
    const call = this.callOf(userId);
    const me = call?.participants.get(userId);
    if (call && me?.waiting && me.socketId === socketId) {
      this.leaveParticipant(call, me, 'left');
      this.persist(call);
      return;
    }
    if (!call || !me || me.socketId !== socketId || !me.present) return;
    this.media.removePeer(call.id, userId);
    if (me.state === 'joined' && call.status === 'active') {
      me.transition('reconnecting');
      for (const other of call.others(userId)) {
        if (other.present) this.channel.toUser(other.userId, 'call:participant-reconnecting', { callId: call.id, userId });
      }
    }
    this.clearGrace(me);
    me.graceTimer = setTimeout(() => {
      me.graceTimer = null;
      if (call.status === 'ended' || me.socketId !== socketId || me.state === 'left') return;
      this.leaveParticipant(call, me, 'connection_lost');
      this.endIfOver(call, 'connection_lost');
    }, this.config.RECONNECT_GRACE_SECONDS * 1000);
    this.persist(call);
  }

  /** Records whether a participant's mic and camera are sending; persisted when it changed. */
  recordMediaState(call: CallSession, userId: string, audio: boolean, video: boolean): void {
    const p = call.participants.get(userId);
    if (!p || (p.audioEnabled === audio && p.videoEnabled === video)) return;
    p.audioEnabled = audio;
    p.videoEnabled = video;
    this.persist(call);
  }

  /** Throws FORBIDDEN unless this device holds a joined seat in the call. */
  assertSeated(actor: Actor, callId: string): void {
    this.seatedCall(actor, callId);
  }

  // ---------------------------------------------------------------- queries

  callOf(userId: string): CallSession | undefined {
    const id = this.userCall.get(userId);
    return id ? this.calls.get(id) : undefined;
  }

  get(callId: string): CallSession | undefined {
    return this.calls.get(callId);
  }

  liveCallIds(): string[] {
    return [...this.calls.keys()];
  }

  liveCalls(): CallSession[] {
    return [...this.calls.values()];
  }

  /** Starts hosting a call (sessions: opened on first join). */
  register(call: CallSession): void {
    this.calls.set(call.id, call);
  }

  /** Marks a user as in this call on this gateway (the busy lock is taken by the caller). */
  indexUser(userId: string, callId: string): void {
    this.userCall.set(userId, callId);
    void this.presence.announce(userId);
  }

  /** Live here, or ended here with its final write still on the way. */
  isKnown(callId: string): boolean {
    return this.calls.has(callId) || this.persistQueue.has(callId);
  }

  busyUserIds(): string[] {
    return [...this.userCall.keys()];
  }

  /** Resolves when every pending call-log write and lock release has landed. */
  async flush(): Promise<void> {
    await Promise.all([...this.persistQueue.values(), ...this.lockOps]);
  }

  private trackLockOp(op: Promise<unknown>): void {
    const tracked = op
      .catch((err: Error) => this.logger.error({ err: err.message }, 'busy lock operation failed; the lock TTL will clear it'))
      .finally(() => this.lockOps.delete(tracked));
    this.lockOps.add(tracked);
  }

  /** Keeps the locks of everyone still in a call alive; a lost lock is taken back if free. */
  private async refreshLocks(): Promise<void> {
    const store = this.presence.store;
    for (const call of this.calls.values()) {
      for (const p of call.participants.values()) {
        if (p.state === 'left') continue;
        const ok = (await store.refreshBusy(p.userId, call.id, this.lockTtlMs).catch(() => false)) ||
          (await store.acquireBusy(p.userId, call.id, this.lockTtlMs).catch(() => false));
        if (!ok) this.logger.warn({ callId: call.id, userId: p.userId }, 'busy lock held by another call');
      }
    }
  }

  // ---------------------------------------------------------------- the single exits

  /** The only place a participant leaves, and so the only place a user is released. */
  leaveParticipant(call: CallSession, p: CallParticipant, reason: LeaveReason, actorId: string | null = null): void {
    const wasPresent = p.present;
    if (!p.transition('left', new Date(), reason, actorId)) return;
    p.leaveReason = reason;
    this.clearGrace(p);
    if (this.userCall.get(p.userId) === call.id) this.userCall.delete(p.userId);
    this.trackLockOp(this.presence.store.releaseBusy(p.userId, call.id).then(() => this.presence.announce(p.userId)));
    p.audioEnabled = false;
    p.videoEnabled = false;
    this.media.removePeer(call.id, p.userId);
    if (wasPresent && call.status !== 'ended') {
      this.toPresentOthers(call, p.userId, (o) =>
        this.channel.toUser(o.userId, 'call:participant-left', { callId: call.id, userId: p.userId, reason }),
      );
    }
  }

  /** The only place a call ends: once, with one reason, releasing everyone and every media object. */
  endCall(call: CallSession, reason: EndReason, actorId: string | null = null): void {
    const wasActive = call.status === 'active';
    if (!call.transition('ended', reason, new Date(), actorId)) return;
    if (call.ringTimer) clearTimeout(call.ringTimer);
    call.ringTimer = null;
    if (call.session) this.sessions.closed(call);
    for (const p of call.participants.values()) {
      const leave: LeaveReason = p.pending ? (reason === 'cancelled' || reason === 'missed' ? reason : 'call_ended') : 'call_ended';
      if (p.pending && reason === 'cancelled') this.channel.toUser(p.userId, 'call:cancelled', { callId: call.id });
      this.leaveParticipant(call, p, leave);
    }
    this.media.closeRoom(call.id);
    this.calls.delete(call.id);
    const payload = { callId: call.id, reason, durationSeconds: call.durationSeconds };
    for (const p of call.participants.values()) this.channel.toUser(p.userId, 'call:ended', payload);
    this.metrics.callEnded(reason);
    this.logger.log({ callId: call.id, reason, durationSeconds: payload.durationSeconds, answered: wasActive || call.answeredAt !== null }, 'call ended');
    this.persist(call);
  }

  private endIfOver(call: CallSession, lostReason?: EndReason): void {
    // A session runs until a host ends it or its time is up, however many are in it.
    if (call.status === 'ended' || call.session) return;
    const present = [...call.participants.values()].filter((p) => p.present).length;
    const pending = [...call.participants.values()].some((p) => p.pending);
    const initiatorGone = call.participants.get(call.initiatorId)?.state === 'left';
    if (!call.isGroup || present === 0 || (present < 2 && !pending) || (call.status !== 'active' && initiatorGone)) {
      this.endCall(call, call.status === 'active' ? (lostReason ?? 'completed') : initiatorGone ? 'cancelled' : 'declined');
    } else {
      this.persist(call);
    }
  }

  // ---------------------------------------------------------------- helpers

  private roomSink(call: CallSession): RoomSink {
    return {
      producerClosed: (producerId, ownerId) =>
        this.toPresentOthers(call, ownerId, (p) => this.channel.toSocket(p.socketId!, 'media:producer-closed', { callId: call.id, producerId })),
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
        this.persist(call);
      },
      failed: (reason) => {
        this.logger.error({ callId: call.id, reason }, 'media room failed');
        this.endCall(call, 'failed');
      },
    };
  }

  toPresentOthers(call: CallSession, userId: string, fn: (p: CallParticipant) => void): void {
    for (const p of call.others(userId)) if (p.state === 'joined' && p.socketId) fn(p);
  }

  private liveCall(callId: string): CallSession {
    const call = this.calls.get(callId);
    if (!call) throw notFound('call');
    return call;
  }

  /** The call in which this device holds a joined seat; anything else is FORBIDDEN. */
  seatedCall(actor: Actor, callId?: string): CallSession {
    const call = callId ? this.calls.get(callId) : this.callOf(actor.userId);
    const me = call?.participants.get(actor.userId);
    if (!call || !me || me.state !== 'joined' || me.socketId !== actor.socketId || !this.media.hasRoom(call.id)) {
      throw forbidden('You are not a joined participant of this call');
    }
    return call;
  }

  private clearGrace(p: CallParticipant): void {
    if (p.graceTimer) clearTimeout(p.graceTimer);
    p.graceTimer = null;
  }

  /** Writes are queued per call so the log never sees an older state after a newer one. */
  persist(call: CallSession): void {
    const record = call.toRecord();
    const prev = this.persistQueue.get(call.id) ?? Promise.resolve();
    const next = prev
      .then(() => this.log.save(record, this.config.instanceId))
      .catch((err: Error) => this.logger.error({ callId: call.id, err: err.message }, 'call log write failed'))
      .finally(() => {
        if (this.persistQueue.get(call.id) === next) this.persistQueue.delete(call.id);
      });
    this.persistQueue.set(call.id, next);
  }

  /** Before sockets and stores close: every call ends (media dies with the process), once, told to everyone. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.lockRefresher) clearInterval(this.lockRefresher);
    for (const call of [...this.calls.values()]) this.endCall(call, 'failed');
    await this.flush();
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
