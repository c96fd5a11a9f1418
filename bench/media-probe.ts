/**
 * CPU accounting for the media benchmark: each mediasoup worker's own user+system time (its
 * getrusage, asked through the worker's channel; /proc/<pid>/stat as a fallback), this
 * process's (the load generator, the receivers and the control plane), and the whole host's
 * (/proc/stat), so that what the benchmark itself costs, and what other programs on the
 * machine take, are both visible next to the workers' figures.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { types as ms } from 'mediasoup';

export interface CpuSnapshot {
  /** performance.now() when taken. */
  t: number;
  /** Worker pid -> CPU milliseconds (user + system) since it started. */
  workers: Map<number, number>;
  /** This process, user + system, microseconds. */
  proc: number;
  /** Host jiffies: busy (not idle, not iowait) and total, summed over all CPUs. */
  hostBusy: number;
  hostTotal: number;
}

const CLK_TCK = 100;

function procStatCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
}

async function workerCpuMs(pid: number, worker: ms.Worker): Promise<number> {
  try {
    const u = await worker.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  } catch {
    return procStatCpuMs(pid);
  }
}

function hostJiffies(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal
    return { busy: total - v[3] - v[4], total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export async function cpuSnapshot(workers: { pid: number; worker: ms.Worker }[]): Promise<CpuSnapshot> {
  const entries = await Promise.all(workers.map(async ({ pid, worker }) => [pid, await workerCpuMs(pid, worker)] as const));
  const cpu = process.cpuUsage();
  const host = hostJiffies();
  return { t: performance.now(), workers: new Map(entries), proc: cpu.user + cpu.system, hostBusy: host.busy, hostTotal: host.total };
}

export interface CpuDelta {
  /** Worker pid -> CPU milliseconds used between the snapshots. */
  workerMs: Map<number, number>;
  /** This process, CPU milliseconds. */
  procMs: number;
  /** The whole host over the snapshots' interval, in cores (1 = one core fully busy). */
  host: number;
}

export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  const workerMs = new Map<number, number>();
  for (const [pid, end] of b.workers) {
    const start = a.workers.get(pid);
    if (start !== undefined) workerMs.set(pid, end - start);
  }
  const hostTotal = b.hostTotal - a.hostTotal;
  return {
    workerMs,
    procMs: (b.proc - a.proc) / 1000,
    host: hostTotal > 0 ? ((b.hostBusy - a.hostBusy) / hostTotal) * os.cpus().length : NaN,
  };
}

/**
 * Datagrams the kernel dropped per local UDP port on 127.0.0.1 (receive buffer full), from
 * /proc/net/udp: tells loss at the benchmark's own receivers (this process too slow) from loss
 * at the workers' sockets or inside the workers.
 */
export function udpDropsByPort(): Map<number, number> {
  const out = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13 || !f[1].startsWith('0100007F:')) continue;
    const port = parseInt(f[1].slice(9), 16);
    out.set(port, (out.get(port) ?? 0) + Number(f[12]));
  }
  return out;
}
