import type { AdminWorker } from './types';

/**
 * CPU % per worker over the last `capacity` samples, on one shared time axis: a worker that
 * appears later starts with gaps (null), one that is gone keeps its line until its last value
 * scrolls out of the window.
 */
export class CpuHistory {
  readonly labels: string[] = [];
  private readonly series = new Map<number, (number | null)[]>();

  constructor(private readonly capacity = 60) {}

  add(at: Date, workers: readonly Pick<AdminWorker, 'pid' | 'cpuPercent'>[]): void {
    this.labels.push(at.toLocaleTimeString([], { hour12: false }));
    for (const w of workers) if (!this.series.has(w.pid)) this.series.set(w.pid, new Array<number | null>(this.labels.length - 1).fill(null));
    for (const [pid, values] of this.series) values.push(workers.find((w) => w.pid === pid)?.cpuPercent ?? null);
    if (this.labels.length > this.capacity) {
      this.labels.shift();
      for (const values of this.series.values()) values.shift();
    }
    for (const [pid, values] of this.series) if (values.every((v) => v === null) && !workers.some((w) => w.pid === pid)) this.series.delete(pid);
  }

  pids(): number[] {
    return [...this.series.keys()].sort((a, b) => a - b);
  }

  values(pid: number): (number | null)[] {
    return this.series.get(pid) ?? [];
  }

  clear(): void {
    this.labels.length = 0;
    this.series.clear();
  }
}
