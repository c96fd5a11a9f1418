/**
 * Worker CPU time per slot that never goes down: a replacement worker continues its slot's
 * total where the dead one's last reading left it. The CPU a worker used after its last
 * reading (at most the 2 s sampling window before it died) is not counted.
 */
export class SlotCpuTotals {
  private readonly slots = new Map<number, { pid: number; lastMs: number; baseMs: number; exposedMs: number }>();

  /** Takes one reading of the worker now in `slot`; returns how much the slot's total grew since the last call, in ms. */
  observe(slot: number, pid: number, cpuMs: number): number {
    let s = this.slots.get(slot);
    if (!s) this.slots.set(slot, (s = { pid, lastMs: 0, baseMs: 0, exposedMs: 0 }));
    if (s.pid !== pid) {
      s.baseMs += s.lastMs;
      s.pid = pid;
      s.lastMs = 0;
    }
    // A worker's own reading only grows; a missing one (0) must not take the total back.
    s.lastMs = Math.max(s.lastMs, cpuMs);
    const delta = s.baseMs + s.lastMs - s.exposedMs;
    s.exposedMs += delta;
    return delta;
  }
}
