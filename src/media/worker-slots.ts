/**
 * Numbered places for media workers. Slot k's WebRtcServer listens on RTC_SERVER_PORT + k, so
 * a new worker takes the lowest free slot: a replacement for a dead worker gets its ports back
 * and the firewall never needs more than one port pair per configured worker.
 */
export class WorkerSlots {
  private readonly taken = new Set<number>();

  /** Takes and returns the lowest free slot. */
  acquire(): number {
    let slot = 0;
    while (this.taken.has(slot)) slot++;
    this.taken.add(slot);
    return slot;
  }

  /** Frees a slot (idempotent). Call it once the worker holding it has exited and let go of its ports. */
  release(slot: number): void {
    this.taken.delete(slot);
  }

  /** The slots in use, ascending. */
  inUse(): number[] {
    return [...this.taken].sort((a, b) => a - b);
  }
}

/** Longest pause before a dead worker is replaced, however often its slot has crashed. */
export const MAX_RESPAWN_DELAY_MS = 30_000;
/** A worker that lived this long was healthy: its slot's crash streak starts over when it dies. */
export const HEALTHY_WORKER_MS = 60_000;
/** The smallest doubling step, so WORKER_RESPAWN_DELAY_MS=0 cannot respawn a crash loop at full speed. */
const MIN_BACKOFF_STEP_MS = 100;

/**
 * The pause before the next replacement in a slot that has failed `streak` times in a row
 * (0: the first death after a healthy run): `baseMs × 2^streak`, capped at `capMs`. The first
 * pause is `baseMs` itself, even 0; later ones double from at least MIN_BACKOFF_STEP_MS.
 */
export function respawnDelayMs(baseMs: number, streak: number, capMs = MAX_RESPAWN_DELAY_MS): number {
  if (streak <= 0) return Math.min(baseMs, capMs);
  return Math.min(capMs, Math.max(baseMs, MIN_BACKOFF_STEP_MS) * 2 ** Math.min(streak, 30));
}

/**
 * Each slot's crash streak: a worker that dies, or a replacement that fails to start, makes the
 * slot's next pause twice as long; a worker that stayed up for `healthyMs` resets it. Per slot,
 * so one crash-looping worker never slows the replacement of another.
 */
export class RespawnBackoff {
  private readonly slots = new Map<number, { aliveSince: number | null; streak: number }>();

  constructor(
    private readonly baseMs: number,
    private readonly capMs = MAX_RESPAWN_DELAY_MS,
    private readonly healthyMs = HEALTHY_WORKER_MS,
  ) {}

  /** A worker is up in `slot` since `now`. */
  started(slot: number, now: number): void {
    this.slots.set(slot, { aliveSince: now, streak: this.slots.get(slot)?.streak ?? 0 });
  }

  /** The worker in `slot` died, or its replacement failed to start, at `now`: the pause before the next attempt. */
  failed(slot: number, now: number): number {
    const s = this.slots.get(slot);
    const healthy = s?.aliveSince != null && now - s.aliveSince >= this.healthyMs;
    const streak = !s || healthy ? 0 : s.streak;
    this.slots.set(slot, { aliveSince: null, streak: streak + 1 });
    return respawnDelayMs(this.baseMs, streak, this.capMs);
  }

  /** The slot is given up for good (its worker was retired): a later worker there starts afresh. */
  forget(slot: number): void {
    this.slots.delete(slot);
  }
}
