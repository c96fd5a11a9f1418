import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PresenceService } from '../presence/presence.service';
import { CallRegistry } from './call-registry';

export type AcquireResult = { kind: 'ok' } | { kind: 'caller-busy'; heldBy: string | null } | { kind: 'callees-busy'; busy: string[] };

/**
 * Busy locks as the call domain uses them: taken for a whole call (with rollback), refreshed
 * while the call lives, released once per participant. The locks themselves live in the
 * presence store (Redis with several gateways), so a dead gateway's locks lapse by TTL.
 */
@Injectable()
export class BusyLocks implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Calls');
  private readonly ops = new Set<Promise<unknown>>();
  private refresher?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly presence: PresenceService,
    private readonly registry: CallRegistry,
  ) {}

  get ttlMs(): number {
    return this.config.BUSY_LOCK_TTL_SECONDS * 1000;
  }

  onModuleInit(): void {
    this.refresher = setInterval(() => void this.refreshAll(), this.ttlMs / 3);
    this.refresher.unref();
    // Redis came back (perhaps empty): every live call's people are held busy again at once.
    this.presence.whenStoreReturns(() => this.refreshAll());
  }

  beforeApplicationShutdown(): void {
    if (this.refresher) clearInterval(this.refresher);
  }

  /**
   * Takes the caller's and every callee's lock for `callId`, or none of them (rollback): the
   * caller's held elsewhere is `caller-busy`, any callee's is `callees-busy` with who.
   */
  async acquireAll(callerId: string, calleeIds: string[], callId: string): Promise<AcquireResult> {
    const store = this.presence.store;
    if (!(await store.acquireBusy(callerId, callId, this.ttlMs))) return { kind: 'caller-busy', heldBy: await store.busyHolder(callerId) };
    const got = await Promise.all(calleeIds.map((id) => store.acquireBusy(id, callId, this.ttlMs)));
    const busy = calleeIds.filter((_, i) => !got[i]);
    if (!busy.length) return { kind: 'ok' };
    await Promise.all([callerId, ...calleeIds.filter((_, i) => got[i])].map((id) => store.releaseBusy(id, callId)));
    return { kind: 'callees-busy', busy };
  }

  /** Takes one user's lock for a call (a session guest entering); false when held by another call. */
  acquire(userId: string, callId: string): Promise<boolean> {
    return this.presence.store.acquireBusy(userId, callId, this.ttlMs);
  }

  /** Releases a user's lock for a call (compare-and-delete) and tells presence; tracked until it lands. */
  release(userId: string, callId: string): void {
    const op = this.presence.store.releaseBusy(userId, callId).then(() => this.presence.announce(userId));
    const tracked = op
      .catch((err: Error) => this.logger.error({ err: err.message }, 'busy lock operation failed; the lock TTL will clear it'))
      .finally(() => this.ops.delete(tracked));
    this.ops.add(tracked);
  }

  /** Resolves when every release has landed. */
  async flush(): Promise<void> {
    await Promise.all(this.ops);
  }

  /** Keeps the locks of everyone still in a call alive; a lost lock is taken back if free. */
  private async refreshAll(): Promise<void> {
    const store = this.presence.store;
    for (const call of this.registry.liveCalls()) {
      for (const p of call.participants.values()) {
        if (p.state === 'left') continue;
        const ok = (await store.refreshBusy(p.userId, call.id, this.ttlMs).catch(() => false)) ||
          (await store.acquireBusy(p.userId, call.id, this.ttlMs).catch(() => false));
        if (!ok) this.logger.warn({ callId: call.id, userId: p.userId }, 'busy lock held by another call');
      }
    }
  }
}
