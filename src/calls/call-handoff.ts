import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import { PresenceService } from '../presence/presence.service';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import { restoreCall, type CallSnapshot } from './call-snapshot';
import { CallService } from './call.service';
import { CALL_LOG_STORE, PARTICIPANT_CHANNEL, type CallChannel, type CallLogStore } from './ports';
import { SessionTimers } from './session-timers';

/**
 * A call changing node: adopted here from its mirror (moved by a drain, or taken over from a
 * lost node), or given up here because another node holds it now. Adopting goes on with the
 * same call (states, seats, timers from their times); only its media is rebuilt, on this
 * node's workers, and its seated people get `media:reconnect`. Giving up ends nothing and
 * releases no lock: the call is the new owner's.
 */
@Injectable()
export class CallHandoff {
  private readonly logger = new Logger('Calls');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
    private readonly timers: SessionTimers,
    private readonly calls: CallService,
    private readonly presence: PresenceService,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
  ) {}

  /**
   * Hosts the call from here on. `gone(nodeId)`: devices connected to that node are gone (it
   * was lost), so their seats wait out the reconnect grace as after any drop.
   */
  async adopt(s: CallSnapshot, reason: 'migrated' | 'node_lost', gone: (nodeId: string) => boolean): Promise<void> {
    const call = restoreCall(s);
    this.registry.register(call);
    for (const p of call.participants.values()) this.registry.indexUser(p.userId, call.id);
    if (call.controls) {
      this.timers.schedule(call);
      for (const p of call.participants.values()) if (p.waiting) this.timers.startLobbyTimer(call, p);
    } else if (call.status !== 'active') {
      const left = call.createdAt.getTime() + this.config.RING_TIMEOUT_SECONDS * 1000 - Date.now();
      call.ringTimer = setTimeout(() => this.exits.endCall(call, 'missed'), Math.max(0, left));
      call.ringTimer.unref();
    }
    call.recordControl(reason === 'migrated' ? 'moved' : 'taken_over', null, null);
    const seated = [...call.participants.values()].some((p) => p.state === 'joined');
    try {
      if (seated) await this.calls.rehome(call, reason);
    } catch (err) {
      this.logger.error({ callId: call.id, err: (err as Error).message }, 'could not rebuild the media of a call that moved here');
      this.exits.endCall(call, 'node_lost');
      return;
    }
    for (const p of [...call.participants.values()]) {
      if (p.socketId && p.nodeId && gone(p.nodeId) && (p.present || p.waiting)) this.calls.onDisconnect(p.userId, p.socketId);
      else if (p.state === 'reconnecting' && p.socketId) this.calls.onDisconnect(p.userId, p.socketId); // its grace timer was on the old node
    }
    this.writer.persist(call);
    this.logger.warn({ callId: call.id, reason }, reason === 'migrated' ? 'call moved here' : 'call of a lost node taken over');
  }

  /**
   * A lost node's call with no mirror to go on from (Redis lost it just before the node died).
   * An ordinary call ends `node_lost` on record and everyone in it is told (`call:ended`); a
   * session's call is suspended, as after a gateway restart, so its host can resume it. Either
   * way its people are free.
   */
  async endLost(callId: string): Promise<void> {
    const open = (await this.log.openCalls()).find((c) => c.callId === callId);
    const resumable = !!open?.sessionEndsAt && open.sessionEndsAt.getTime() > Date.now();
    for (const entry of await this.presence.store.busyEntries()) {
      if (entry.callId === callId && (await this.presence.store.releaseBusy(entry.userId, callId))) await this.presence.announce(entry.userId);
    }
    if (!open) return;
    if (resumable) {
      await this.log.suspendOrphan(callId, 'node_lost');
      this.logger.warn({ callId }, 'session call of a lost node suspended (no mirror); its host can resume it');
      return;
    }
    const ended = await this.log.endOrphan(callId, open.sessionEndsAt ? 'time_limit' : 'node_lost');
    if (!ended) return;
    for (const userId of open.participantIds) this.channel.toUser(userId, 'call:ended', { callId, reason: open.sessionEndsAt ? 'time_limit' : 'node_lost', durationSeconds: ended.durationSeconds });
    this.logger.warn({ callId }, 'call of a lost node ended: no mirror to take it over from');
  }

  /**
   * Another node holds the call now: this one stops hosting it, quietly. `taken`: it was taken
   * from this node while this node could not heart-beat (frozen, or cut off from Redis), and the
   * new owner counted this node's sockets as gone; those sockets are closed, so their devices
   * reconnect and rejoin (within the grace) instead of holding a seat the owner is expiring.
   */
  abandon(callId: string, taken = false): void {
    const call = this.registry.get(callId);
    if (!call) return;
    if (taken) {
      for (const p of call.participants.values()) if (p.socketId && p.nodeId === this.config.instanceId && (p.present || p.waiting)) this.channel.dropSocket(p.socketId);
    }
    if (call.ringTimer) clearTimeout(call.ringTimer);
    call.ringTimer = null;
    call.controls?.clearTimers();
    for (const p of call.participants.values()) {
      this.exits.clearGrace(p);
      this.registry.unindexUser(p.userId, callId);
    }
    this.registry.forget(callId);
    this.media.closeRoom(callId);
    this.logger.warn({ callId }, 'call now hosted by another node; dropped here');
  }

  /** Sockets of a lost node held seats in calls hosted here: those seats wait out the grace. */
  nodeGone(nodeId: string): void {
    for (const call of this.registry.liveCalls()) {
      for (const p of [...call.participants.values()]) {
        if (p.nodeId === nodeId && p.socketId && (p.present || p.waiting)) this.calls.onDisconnect(p.userId, p.socketId);
      }
    }
  }
}
