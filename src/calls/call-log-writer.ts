import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { retryDelayMs } from '../common/durable-queue';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { CallEvent, LiveCall } from './live-call';
import { CALL_LOG_STORE, CALL_OWNERSHIP, type CallLogStore, type CallOwnership, type CallRecord } from './ports';
import { snapshotOf } from './call-snapshot';

/** What one call still owes the log: its newest state and every event not yet committed. */
interface Owed {
  record: Omit<CallRecord, 'events'>;
  events: CallEvent[];
  /** When the oldest of it was queued (ms). */
  since: number;
}

/**
 * The call log's writer. Every change of a call is owed to the database until a write of it
 * commits: a failed write (PostgreSQL down, a partition) keeps it queued and tries again with
 * backoff, so nothing is lost and nothing is taken out of the queue before it is on disk. Per
 * call, writes go in order and carry the newest state (times and duration are the call's own,
 * from when things happened, never from when the write lands) and every event in order.
 * Bounded: past WRITE_QUEUE_MAX_CALLS owed calls, new calls are refused (UNAVAILABLE).
 */
@Injectable()
export class CallLogWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Calls');
  private readonly owed = new Map<string, Owed>();
  private readonly running = new Map<string, Promise<void>>();
  /** Settled once per failed attempt, so flush() never waits out an outage. */
  private attemptWaiters: (() => void)[] = [];
  private failures = 0;
  private stopping = false;

  constructor(
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CALL_OWNERSHIP) private readonly ownership: CallOwnership,
  ) {}

  persist(call: LiveCall): void {
    // Every change is mirrored for the other nodes too (a move or a takeover reads it).
    if (call.status !== 'ended') this.ownership.mirror(call.id, snapshotOf(call));
    const { events, ...record } = call.toRecord();
    const owed = this.owed.get(call.id);
    if (owed) {
      owed.record = record;
      owed.events.push(...events);
    } else {
      this.owed.set(call.id, { record, events, since: Date.now() });
    }
    this.kick(call.id);
  }

  /** Something of this call is not on record yet. */
  pending(callId: string): boolean {
    return this.owed.has(callId);
  }

  /** How much is owed: calls and events, and the age of the oldest (for /metrics). */
  depth(): { calls: number; events: number; oldestAgeSeconds: number } {
    let events = 0;
    let oldest = Infinity;
    for (const o of this.owed.values()) {
      events += o.events.length;
      oldest = Math.min(oldest, o.since);
    }
    return { calls: this.owed.size, events, oldestAgeSeconds: this.owed.size ? (Date.now() - oldest) / 1000 : 0 };
  }

  /** UNAVAILABLE when the queue is full: a new call would owe records the database cannot take now. */
  assertRoom(): void {
    if (this.owed.size >= this.config.WRITE_QUEUE_MAX_CALLS) {
      throw new DomainError('UNAVAILABLE', 'the call log cannot be written right now; try again shortly');
    }
  }

  /**
   * Resolves when everything owed is on record, or when a write attempt failed (the database is
   * down: the queue keeps it and goes on trying; callers reading the log would fail anyway).
   */
  async flush(): Promise<void> {
    if (this.owed.size === 0) return;
    await new Promise<void>((resolve) => {
      const check = () => (this.owed.size === 0 ? resolve() : undefined);
      this.attemptWaiters.push(resolve);
      void Promise.all(this.running.values()).then(check);
    });
  }

  private kick(callId: string): void {
    if (this.running.has(callId)) return;
    const run = this.drain(callId).finally(() => {
      this.running.delete(callId);
      // Something came in between the drain's last look and here: go on with it.
      if (this.owed.has(callId) && !this.stopping) this.kick(callId);
    });
    this.running.set(callId, run);
  }

  private async drain(callId: string): Promise<void> {
    for (;;) {
      const owed = this.owed.get(callId);
      if (!owed) return;
      const record = owed.record;
      const count = owed.events.length;
      try {
        await this.log.save({ ...record, events: owed.events.slice(0, count) }, this.config.instanceId);
      } catch (err) {
        this.failures++;
        this.logger.error({ callId, err: (err as Error).message, owedCalls: this.owed.size, attempt: this.failures }, 'call log write failed; kept queued');
        this.settleWaiters();
        if (this.stopping) return;
        await sleep(retryDelayMs(this.failures));
        continue;
      }
      if (this.failures > 0) this.logger.log({ owedCalls: this.owed.size - 1 }, 'call log writes resumed');
      this.failures = 0;
      // Committed: only now does it leave the queue. Whatever came in meanwhile is written next.
      owed.events.splice(0, count);
      if (owed.record === record && owed.events.length === 0) {
        this.owed.delete(callId);
        if (this.owed.size === 0) this.settleWaiters();
      }
    }
  }

  private settleWaiters(): void {
    const waiters = this.attemptWaiters;
    this.attemptWaiters = [];
    for (const w of waiters) w();
  }

  /** Shutdown: one last attempt for what is owed, within the deadline the process gives. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    this.stopping = true;
    if (this.owed.size) this.logger.error({ owedCalls: this.owed.size, ...this.depth() }, 'stopping with call log writes not on record');
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
