import { isOutage } from './outage';

/** Retry delays after failed writes in a row: 0.5 s doubling to 15 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(15_000, 500 * 2 ** Math.max(0, failures - 1));
}

/** A write that the store refuses (not an outage) is tried this often, then dropped, so it cannot hold up the rest. */
const REFUSED_ATTEMPTS = 3;

/** A write that must land: run in order, retried with backoff until it commits, never dropped. */
export interface QueuedWrite {
  /** Settles after the first attempt, whether it committed or failed (callers need not wait out an outage). */
  attempted: Promise<void>;
  /** Resolves once it committed. */
  committed: Promise<void>;
}

interface Entry {
  label: string;
  run: () => Promise<unknown>;
  since: number;
  refusals: number;
  attempted: () => void;
  committed: () => void;
}

/**
 * Writes owed to a store that may be down (session state, audit entries): kept in order and
 * tried again with backoff (0.5 s doubling to 15 s) until each commits; nothing leaves the queue
 * before its write did, but for a write the store itself refuses (not an outage: a bad value),
 * dropped after a few tries so it cannot hold up every later one. Bounded only by memory: callers that can refuse new work when it grows
 * (see CallLogWriter) check `size`.
 */
export class DurableQueue {
  private readonly entries: Entry[] = [];
  private running = false;
  private failures = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly name: string,
    private readonly log: { error(obj: object, msg: string): void; log(obj: object, msg: string): void },
  ) {}

  enqueue(label: string, run: () => Promise<unknown>): QueuedWrite {
    let attempted!: () => void;
    let committed!: () => void;
    const a = new Promise<void>((r) => (attempted = r));
    const c = new Promise<void>((r) => (committed = r));
    this.entries.push({ label, run, since: Date.now(), refusals: 0, attempted, committed });
    if (!this.running) void this.drain();
    return { attempted: a, committed: c };
  }

  get size(): number {
    return this.entries.length;
  }

  oldestAgeSeconds(): number {
    return this.entries.length ? (Date.now() - this.entries[0].since) / 1000 : 0;
  }

  /** Resolves when every queued write committed or, in an outage, when a write attempt failed. */
  async flush(): Promise<void> {
    if (this.entries.length) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private settle(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.entries.length) {
        const head = this.entries[0];
        try {
          await head.run();
        } catch (err) {
          this.failures++;
          head.attempted();
          this.settle();
          if (!isOutage(err) && ++head.refusals >= REFUSED_ATTEMPTS) {
            // Not the store being away but this write being wrong: it would block every later one forever.
            this.log.error({ queue: this.name, write: head.label, err: (err as Error).message }, 'write refused by the store; dropped');
            this.entries.shift();
            this.failures = 0;
            continue;
          }
          this.log.error({ queue: this.name, write: head.label, err: (err as Error).message, queued: this.entries.length, attempt: this.failures }, 'write failed; kept queued');
          await new Promise<void>((resolve) => setTimeout(resolve, retryDelayMs(this.failures)).unref());
          continue;
        }
        if (this.failures) this.log.log({ queue: this.name, queued: this.entries.length - 1 }, 'writes resumed');
        this.failures = 0;
        this.entries.shift();
        head.attempted();
        head.committed();
      }
      this.settle();
    } finally {
      this.running = false;
    }
  }
}
