import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import { PresenceService } from '../presence/presence.service';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallRegistry } from './call-registry';
import { BusyLocks } from './busy-locks';
import { CALL_LOG_STORE, CALL_METRICS, NO_METRICS, type CallLogStore, type CallMetrics } from './ports';

export interface ReconcileReport {
  dbCallsEnded: number;
  staleCallsEnded: number;
  locksReleased: number;
  roomsClosed: number;
}

/**
 * Compares the database, the busy locks and the live media rooms, and closes whatever is
 * orphaned in any of them. Runs at startup and every RECONCILE_INTERVAL_SECONDS.
 */
@Injectable()
export class CallReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Reconciler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<ReconcileReport>;
  readonly totals: ReconcileReport = { dbCallsEnded: 0, staleCallsEnded: 0, locksReleased: 0, roomsClosed: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
    private readonly locks: BusyLocks,
    private readonly presence: PresenceService,
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Optional() @Inject(CALL_METRICS) private readonly metrics: CallMetrics = NO_METRICS,
  ) {}

  private get intervalMs(): number {
    return this.config.RECONCILE_INTERVAL_SECONDS * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Stopping on purpose: another gateway need not wait for this one's heartbeat to lapse.
    await this.log.retire(this.config.instanceId).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not retire this gateway'));
  }

  /** One pass; concurrent callers share it. */
  run(): Promise<ReconcileReport> {
    this.running ??= this.pass()
      .catch((err: Error) => {
        this.logger.error({ err: err.message }, 'reconcile pass failed');
        return { dbCallsEnded: 0, staleCallsEnded: 0, locksReleased: 0, roomsClosed: 0 };
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ReconcileReport> {
    const me = this.config.instanceId;
    const report: ReconcileReport = { dbCallsEnded: 0, staleCallsEnded: 0, locksReleased: 0, roomsClosed: 0 };
    await this.log.heartbeat(me);

    // 1. Live here but never answered past the ring timeout (the ring timer's safety net).
    const ringLimit = Date.now() - this.config.RING_TIMEOUT_SECONDS * 1000;
    for (const call of this.registry.liveCalls()) {
      if (!call.controls && call.status !== 'active' && call.createdAt.getTime() < ringLimit) {
        this.exits.endCall(call, 'missed');
        report.staleCallsEnded++;
      }
    }
    await Promise.all([this.writer.flush(), this.locks.flush()]);

    // 2. Open in the database, but no live gateway hosts it: its owner stopped heart-beating
    // (crashed or stopped). Heartbeats are in the database, so this holds with or without Redis,
    // and two gateways wrongly sharing one database still never end each other's calls.
    const live = new Set(await this.log.liveInstanceIds(2 * this.intervalMs + 5000));
    live.add(me);
    const open = await this.log.openCalls();
    const busy = await this.presence.store.busyEntries();
    const release = async ({ userId, callId }: { userId: string; callId: string }) => {
      if (await this.presence.store.releaseBusy(userId, callId)) {
        report.locksReleased++;
        await this.presence.announce(userId);
      }
    };
    const hostedElsewhere = new Set<string>();
    const now = Date.now();
    for (const row of open) {
      if (this.isKnown(row.callId)) continue;
      if (row.ownerId && row.ownerId !== me && live.has(row.ownerId)) {
        hostedElsewhere.add(row.callId);
        continue;
      }
      // A session outlives its gateway: until its end, its call waits (owner cleared) for a host to resume it.
      const resumable = row.sessionEndsAt !== null && row.sessionEndsAt.getTime() > now;
      if (resumable && row.ownerId === null) continue;
      // Its people first: once the record says they left, nobody is still held busy by the call.
      for (const entry of busy) if (entry.callId === row.callId) await release(entry);
      if (resumable) {
        if (await this.log.suspendOrphan(row.callId, 'gateway_lost')) {
          report.dbCallsEnded++;
          this.logger.warn({ callId: row.callId, ownerId: row.ownerId }, 'session call of a lost gateway suspended; its host can resume it');
        }
        continue;
      }
      const reason = row.sessionEndsAt !== null ? 'time_limit' : row.status === 'active' ? 'failed' : 'missed';
      if (await this.log.endOrphan(row.callId, reason)) {
        report.dbCallsEnded++;
        this.logger.warn({ callId: row.callId, ownerId: row.ownerId, reason }, 'orphaned call ended');
      }
    }

    // 3. Busy locks held for a call nobody hosts (compare-and-delete: the ones freed above are gone already).
    for (const entry of busy) {
      if (this.isKnown(entry.callId) || hostedElsewhere.has(entry.callId)) continue;
      await release(entry);
    }

    // 4. Media rooms without a live call.
    for (const callId of this.media.roomIds()) {
      if (this.registry.has(callId)) continue;
      this.media.closeRoom(callId);
      report.roomsClosed++;
    }

    for (const k of Object.keys(report) as (keyof ReconcileReport)[]) this.totals[k] += report[k];
    this.metrics.reconciled('db_call_ended', report.dbCallsEnded);
    this.metrics.reconciled('stale_call_ended', report.staleCallsEnded);
    this.metrics.reconciled('lock_released', report.locksReleased);
    this.metrics.reconciled('room_closed', report.roomsClosed);
    if (report.dbCallsEnded + report.staleCallsEnded + report.locksReleased + report.roomsClosed > 0) {
      this.logger.warn({ ...report }, 'reconciler closed orphans');
    }
    return report;
  }

  /** Live here, or ended here with its final write still on the way. */
  private isKnown(callId: string): boolean {
    return this.registry.has(callId) || this.writer.pending(callId);
  }
}
