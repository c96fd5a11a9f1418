import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import { BusyLocks } from './busy-locks';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import type { CallParticipant, LiveCall } from './live-call';
import type { CallEvents } from './call-messages';
import type { EndReason, LeaveReason } from './call-states';
import { CALL_METRICS, CALL_OWNERSHIP, NO_METRICS, PARTICIPANT_CHANNEL, type CallMetrics, type CallChannel, type CallOwnership } from './ports';

/**
 * The single exits: the only place a participant leaves (and so the only place a user is
 * released) and the only place a call ends. Calls and sessions alike go through here.
 */
@Injectable()
export class CallExits {
  private readonly logger = new Logger('Calls');
  private readonly endedListeners: ((call: LiveCall) => void)[] = [];

  constructor(
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    private readonly registry: CallRegistry,
    private readonly locks: BusyLocks,
    private readonly writer: CallLogWriter,
    @Inject(CALL_OWNERSHIP) private readonly ownership: CallOwnership,
    @Optional() @Inject(CALL_METRICS) private readonly metrics: CallMetrics = NO_METRICS,
  ) {}

  /**
   * An event of this call to one of its people: to the device holding their seat (or waiting)
   * when there is one, so a device whose seat another device took hears no more of the call;
   * to every device of theirs while they are only being rung.
   */
  send<E extends keyof CallEvents & string>(call: LiveCall, userId: string, event: E, payload: CallEvents[E]): void {
    const p = call.participants.get(userId);
    if (p?.socketId && (p.present || p.waiting)) this.channel.toSocket(p.socketId, event, payload);
    else this.channel.toUser(userId, event, payload);
  }

  /** Called as a call ends, before its participants leave (a session closes its waiting room and clock). */
  whenEnded(listener: (call: LiveCall) => void): void {
    this.endedListeners.push(listener);
  }

  leaveParticipant(call: LiveCall, p: CallParticipant, reason: LeaveReason, actorId: string | null = null): void {
    if (this.fenced(call, () => this.leaveParticipant(call, p, reason, actorId))) return;
    const wasPresent = p.present;
    if (!p.transition('left', new Date(), reason, actorId)) return;
    p.leaveReason = reason;
    this.clearGrace(p);
    this.registry.unindexUser(p.userId, call.id);
    this.locks.release(p.userId, call.id);
    p.audioEnabled = false;
    p.videoEnabled = false;
    this.media.removePeer(call.id, p.userId);
    if (wasPresent && call.status !== 'ended') {
      this.toPresentOthers(call, p.userId, (o) =>
        this.send(call, o.userId, 'call:participant-left', { callId: call.id, userId: p.userId, reason }),
      );
    }
  }

  /** Once, with one reason, releasing everyone and every media object. */
  endCall(call: LiveCall, reason: EndReason, actorId: string | null = null): void {
    if (this.fenced(call, () => this.endCall(call, reason, actorId))) return;
    const wasActive = call.status === 'active';
    if (!call.transition('ended', reason, new Date(), actorId)) return;
    if (call.ringTimer) clearTimeout(call.ringTimer);
    call.ringTimer = null;
    for (const listener of this.endedListeners) listener(call);
    for (const p of call.participants.values()) {
      const leave: LeaveReason = p.pending ? (reason === 'cancelled' || reason === 'missed' ? reason : 'call_ended') : 'call_ended';
      if (p.pending && reason === 'cancelled') this.send(call, p.userId, 'call:cancelled', { callId: call.id });
      this.leaveParticipant(call, p, leave);
    }
    this.media.closeRoom(call.id);
    this.registry.forget(call.id);
    this.ownership.release(call.id);
    const payload = { callId: call.id, reason, durationSeconds: call.durationSeconds };
    // Every device of everyone rung or in it, but those whose seat another device took (they left the call then).
    for (const p of call.participants.values()) {
      if (p.displaced.size) this.channel.toUserExcept(p.userId, [...p.displaced], 'call:ended', payload);
      else this.channel.toUser(p.userId, 'call:ended', payload);
    }
    this.metrics.callEnded(reason);
    this.logger.log({ callId: call.id, reason, durationSeconds: payload.durationSeconds, answered: wasActive || call.answeredAt !== null }, 'call ended');
    this.writer.persist(call);
  }

  /** A callee says no (or takes another call while this one rings): the caller is told; with no callee left the call ends `declined`. */
  decline(call: LiveCall, p: CallParticipant): void {
    this.leaveParticipant(call, p, 'declined');
    this.send(call, call.initiatorId, 'call:declined', { callId: call.id, userId: p.userId });
    if (![...call.participants.values()].some((o) => o.role === 'callee' && o.state !== 'left')) this.endCall(call, 'declined', p.userId);
    else this.writer.persist(call);
  }

  /** The call stops being hosted here without ending (a session suspended as its gateway stops): its media goes. */
  forget(call: LiveCall): void {
    if (call.ringTimer) clearTimeout(call.ringTimer);
    call.ringTimer = null;
    this.media.closeRoom(call.id);
    this.registry.forget(call.id);
    this.ownership.release(call.id);
  }

  /** After someone left: an ordinary call that is over ends; otherwise the change is recorded. */
  endIfOver(call: LiveCall, lostReason?: EndReason): void {
    if (call.status === 'ended') return;
    // A session runs until a host ends it or its time is up, however many are in it.
    if (call.controls) return this.writer.persist(call);
    const present = [...call.participants.values()].filter((p) => p.present).length;
    const pending = [...call.participants.values()].some((p) => p.pending);
    const initiatorGone = call.participants.get(call.initiatorId)?.state === 'left';
    if (!call.isGroup || present === 0 || (present < 2 && !pending) || (call.status !== 'active' && initiatorGone)) {
      this.endCall(call, call.status === 'active' ? (lostReason ?? 'completed') : initiatorGone ? 'cancelled' : 'declined');
    } else {
      this.writer.persist(call);
    }
  }

  /** Records whether a participant's mic and camera are sending; persisted when it changed. */
  recordMediaState(call: LiveCall, userId: string, audio: boolean, video: boolean): void {
    const p = call.participants.get(userId);
    if (!p || (p.audioEnabled === audio && p.videoEnabled === video)) return;
    p.audioEnabled = audio;
    p.videoEnabled = video;
    this.writer.persist(call);
  }

  toPresentOthers(call: LiveCall, userId: string, fn: (p: CallParticipant) => void): void {
    for (const p of call.others(userId)) if (p.state === 'joined' && p.socketId) fn(p);
  }

  /**
   * True when this node may not act on the call now: its lease lapsed (it was frozen or cut off
   * from Redis), so another node may own the call. The step is tried again in a second, while
   * the call is still hosted here; once the node learns the call was taken, it is dropped.
   */
  private fenced(call: LiveCall, retry: () => void): boolean {
    if (call.status === 'ended' || !this.registry.has(call.id) || this.ownership.holds(call.id)) return false;
    setTimeout(() => this.registry.get(call.id) === call && retry(), 1000).unref();
    return true;
  }

  clearGrace(p: CallParticipant): void {
    if (p.graceTimer) clearTimeout(p.graceTimer);
    p.graceTimer = null;
  }
}
