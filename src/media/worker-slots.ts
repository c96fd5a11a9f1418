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
