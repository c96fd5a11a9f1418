/**
 * Part of npm run bench:calls: a well-behaved user's call setup latency with and without a
 * flood, in one run, against the real gateway with Redis and the DEFAULT abuse limits (no
 * RATE_* overrides: this measures what a deployment as shipped does under a flood).
 *
 *   setup: call:initiate sent -> call:incoming received by the callee; then both join, the
 *          caller ends. One call at a time, one every BENCH_FLOOD_INTERVAL_MS.
 *
 * The well-behaved side paces itself as a person is allowed to: a caller spends 2
 * RATE_CALL_SETUP points per call (call:initiate + call:join) and a callee 1, and each
 * caller+callee pair counts against RATE_CALL_REPEAT; the calls rotate over enough callers
 * and callees (derived from the configured limits, with 40% headroom) that none of them
 * ever nears a limit. Any RATE_LIMITED they get is counted, printed and fails the bench.
 *
 * The flood: BENCH_FLOODERS sockets (different users) in a child process (bench/flooder.ts)
 * send a mix of events as fast as the server acks them. They never call the well-behaved
 * users (that would ring them and make them busy: a different attack, bounded by
 * RATE_CALL_SETUP, not a latency question).
 *
 * Bounded: BENCH_FLOOD_SECONDS (default 15) in all, split evenly between the two scenarios.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import type { RateSetting } from '../src/config/config.schema';
import { RateLimits, type LimitName } from '../src/limits/rate-limits';
import { connectUser, request, settled, signToken, startTestApp, type TestApp } from '../test/support/app';
import type { FloodMessage, FloodStart, FloodStats } from './flooder';
import { printTable, summary } from './stats';

const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 15);
const FLOODERS = Number(process.env.BENCH_FLOODERS ?? 3);
const FLOOD_IN_FLIGHT = Number(process.env.BENCH_FLOOD_IN_FLIGHT ?? 16);
const INTERVAL_MS = Number(process.env.BENCH_FLOOD_INTERVAL_MS ?? 200);
/** Use at most this share of any limit on the well-behaved side. */
const HEADROOM = 0.6;
const WARMUP_MS = 500;

interface User {
  id: string;
  s: Socket;
}

export interface FloodRow {
  scenario: string;
  setup: ReturnType<typeof summary>;
  wellBehavedRefused: number;
  flood?: FloodStats;
  serverCpuPercent: number;
  loopDelayP99Ms: number;
  redisCpuPercent: number;
  refusedByLimit: Partial<Record<LimitName, number>>;
}

/** How many callers and callees the well-behaved side rotates over, from the limits in force. */
export function pacing(callSetup: RateSetting, callRepeat: RateSetting, intervalMs: number) {
  const callsPerWindow = Math.max(1, Math.floor((callSetup.points * HEADROOM) / 2));
  // Calls by one caller spaced `spacing` apart: at most ceil(window / spacing) land in any window.
  const spacingMs = ((callSetup.seconds * 1000) / callsPerWindow) * 1.05;
  const callers = Math.ceil(spacingMs / intervalMs);
  const pairUsesPerWindow = Math.max(1, Math.floor(callRepeat.points * HEADROOM));
  let callees = callers;
  // A pair comes round once every `callees` rounds of `callers` calls.
  while (Math.ceil((callRepeat.seconds * 1000) / (callees * callers * intervalMs)) > pairUsesPerWindow) callees++;
  return { callers, callees, callerSpacingMs: callers * intervalMs };
}

/** Deletes every key a bench run left under its own REDIS_PREFIX (presence sets are pruned only lazily). */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

function redisCpuSeconds(info: string): number {
  const v = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return v('used_cpu_user') + v('used_cpu_sys');
}

class WellBehaved {
  k = 0;
  constructor(
    private readonly callers: User[],
    private readonly callees: User[],
  ) {}

  /** Sequential paced calls for `ms`; returns setup latencies and RATE_LIMITED acks seen. */
  async run(ms: number): Promise<{ setup: number[]; refused: number }> {
    const setup: number[] = [];
    let refused = 0;
    const started = performance.now();
    for (let i = 0; performance.now() - started < ms; i++) {
      const due = started + i * INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const k = this.k++;
      const caller = this.callers[k % this.callers.length];
      const callee = this.callees[((k % this.callers.length) + Math.floor(k / this.callers.length)) % this.callees.length];
      const check = (event: string, res: Awaited<ReturnType<typeof request>>): boolean => {
        if (res.ok) return true;
        if (res.error.code === 'RATE_LIMITED') {
          refused++;
          return false;
        }
        throw new Error(`well-behaved ${event} failed: ${res.error.code} ${res.error.message}`);
      };

      let onIncoming: ((p: { callId: string; from: { userId: string } }) => void) | undefined;
      const incoming = new Promise<number>((resolve) => {
        onIncoming = (p) => {
          if (p.from.userId === caller.id) resolve(performance.now());
        };
        callee.s.on('call:incoming', onIncoming);
      });
      const t0 = performance.now();
      const init = await request<{ callId: string }>(caller.s, 'call:initiate', { calleeIds: [callee.id], media: 'video' });
      if (!check('call:initiate', init) || !init.ok) {
        callee.s.off('call:incoming', onIncoming);
        continue;
      }
      const tIncoming = await Promise.race([incoming, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no call:incoming within 10 s')), 10_000))]);
      callee.s.off('call:incoming', onIncoming);
      setup.push(tIncoming - t0);
      const { callId } = init.data;
      check('call:join', await request(caller.s, 'call:join', { callId }));
      check('call:join', await request(callee.s, 'call:join', { callId }));
      check('call:end', await request(caller.s, 'call:end', { callId }));
    }
    return { setup, refused };
  }
}

async function measure(t: TestApp, redis: Redis, label: string, body: () => Promise<{ setup: number[]; refused: number; flood?: () => Promise<FloodStats> }>): Promise<FloodRow> {
  const limits = t.app.get(RateLimits);
  const refusedBefore = new Map(limits.refused);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const redisBefore = redisCpuSeconds(await redis.info('cpu'));
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  loop.enable();
  const r = await body();
  loop.disable();
  const wallUs = (performance.now() - w0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisCpu = redisCpuSeconds(await redis.info('cpu')) - redisBefore;
  const flood = await r.flood?.();
  await settled(t.app);
  const refusedByLimit: Partial<Record<LimitName, number>> = {};
  for (const [name, n] of limits.refused) if (n - (refusedBefore.get(name) ?? 0) > 0) refusedByLimit[name] = n - (refusedBefore.get(name) ?? 0);
  return {
    scenario: label,
    setup: summary(r.setup),
    wellBehavedRefused: r.refused,
    flood,
    serverCpuPercent: ((cpu.user + cpu.system) / wallUs) * 100,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    redisCpuPercent: ((redisCpu * 1e6) / wallUs) * 100,
    refusedByLimit,
  };
}

/** Starts the flooders (connected, not yet sending); go() starts them, the returned stop() ends them and reports. */
async function startFlood(t: TestApp, label: string): Promise<{ go(): void; stop(): Promise<FloodStats> }> {
  const child = fork(join(__dirname, 'flooder.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: FloodMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m) => {
    messages.push(m as FloodMessage);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`flooder exited (${code}) early`))));
  exited.catch(() => undefined);
  const next = async <T extends FloodMessage['type']>(type: T): Promise<Extract<FloodMessage, { type: T }>> => {
    for (;;) {
      const m = messages.find((x) => x.type === type);
      if (m) return m as Extract<FloodMessage, { type: T }>;
      await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
    }
  };
  const users = Array.from({ length: FLOODERS }, (_, i) => {
    const userId = `flood-${label}-${process.pid}-${i}`;
    return { userId, token: signToken(t.config.JWT_SECRET, { sub: userId, name: userId }) };
  });
  child.send({ type: 'start', url: t.url, users, inFlight: FLOOD_IN_FLIGHT } satisfies FloodStart);
  await next('ready');
  return {
    go: () => child.send({ type: 'go' }),
    stop: async () => {
      child.send({ type: 'stop' });
      return (await next('done')).stats;
    },
  };
}

export async function floodComparison(redisUrl: string): Promise<{ rows: FloodRow[]; callers: number; callees: number; spacingMs: number }> {
  const label = 'flood';
  // Only what a benchmark needs; every RATE_* and cap stays at its default.
  const prefix = `hearth-bench-${process.pid}-${label}:`;
  const t = await startTestApp({ LOG_LEVEL: 'error', REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const p = pacing(t.config.RATE_CALL_SETUP, t.config.RATE_CALL_REPEAT, INTERVAL_MS);
  const callers: User[] = [];
  const callees: User[] = [];
  for (let i = 0; i < p.callers; i++) callers.push({ id: `wb-caller-${process.pid}-${i}`, s: await connectUser(t.url, `wb-caller-${process.pid}-${i}`) });
  for (let i = 0; i < p.callees; i++) callees.push({ id: `wb-callee-${process.pid}-${i}`, s: await connectUser(t.url, `wb-callee-${process.pid}-${i}`) });
  const wb = new WellBehaved(callers, callees);
  const scenarioMs = (FLOOD_SECONDS * 1000) / 2;

  const rows: FloodRow[] = [];
  rows.push(await measure(t, redis, 'no flood', () => wb.run(scenarioMs)));
  const flood = await startFlood(t, label);
  flood.go();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  rows.push(
    await measure(t, redis, `flood (${FLOODERS} socket${FLOODERS === 1 ? '' : 's'})`, async () => {
      const r = await wb.run(scenarioMs);
      return { ...r, flood: () => flood.stop() };
    }),
  );

  for (const u of [...callers, ...callees]) u.s.disconnect();
  redis.disconnect();
  await t.close();
  await dropPrefix(redisUrl, prefix);
  return { rows, callers: p.callers, callees: p.callees, spacingMs: p.callerSpacingMs };
}

export function printFloodTable(r: Awaited<ReturnType<typeof floodComparison>>): void {
  printTable(
    `Call setup under a flood (Redis, DEFAULT limits; well-behaved: 1 call every ${INTERVAL_MS} ms rotating over ${r.callers} callers x ${r.callees} callees, each caller every ${(r.spacingMs / 1000).toFixed(1)} s; ` +
      `flood: ${FLOODERS} sockets x ${FLOOD_IN_FLIGHT} in flight, other users, separate process; ${FLOOD_SECONDS / 2} s per scenario)`,
    ['scenario', 'samples', 'p50 ms', 'p99 ms', 'max ms', 'well-behaved refused', 'flood requests sent', 'flood refused (share %)', 'flood requests/s', 'server CPU % (1 core)', 'loop delay p99 ms', 'redis CPU %'],
    r.rows.map((x) => [
      x.scenario,
      x.setup.n,
      x.setup.p50,
      x.setup.p99,
      x.setup.max,
      x.wellBehavedRefused,
      x.flood?.sent ?? 0,
      x.flood ? `${x.flood.refused} (${((x.flood.refused / Math.max(1, x.flood.sent)) * 100).toFixed(1)}%)` : '-',
      x.flood ? Math.round(x.flood.sent / x.flood.seconds) : '-',
      x.serverCpuPercent,
      x.loopDelayP99Ms,
      x.redisCpuPercent,
    ]),
  );
  for (const x of r.rows) {
    const limits = Object.entries(x.refusedByLimit).map(([k, n]) => `${k}=${n}`).join(', ') || 'none';
    console.log(`  ${x.scenario}: server refused by limit: ${limits}`);
    if (x.flood) {
      const errs = Object.entries(x.flood.errors).map(([k, n]) => `${k}=${n}`).join(', ') || 'none';
      const oks = Object.entries(x.flood.okByEvent).map(([k, n]) => `${k}=${n}`).join(', ') || 'none';
      console.log(`    flood acks ok: ${oks}; other errors: ${errs}; timeouts=${x.flood.timeouts}; dropped by the server=${x.flood.disconnects}, reconnects=${x.flood.reconnects} (refused ${x.flood.connectRefused}); flooder process CPU ${x.flood.cpuPercent.toFixed(0)}% of 1 core`);
    }
  }
  console.log(
    '  setup = call:initiate sent -> call:incoming at the callee. Server CPU = this process (gateway + the well-behaved clients; the flooders are another process; mediasoup workers not counted).' +
      ' Loop delay = this process\'s event loop. Redis CPU = the whole Redis server (shared with anything else using it).',
  );
  const refused = r.rows.reduce((n, x) => n + x.wellBehavedRefused, 0);
  console.log(refused === 0 ? '  OK: the well-behaved users got zero RATE_LIMITED.' : `  FAIL: the well-behaved users got ${refused} RATE_LIMITED acks.`);
}
