/**
 * npm run bench:gateway — how many connected sockets one gateway process holds, and what they
 * cost: connected socket.io clients (each a different signed-in member, presence on Redis)
 * ramped to BENCH_GATEWAY_STEPS (1000,2500,5000) by child processes (bench/socket-crowd.ts;
 * their CPU is not the gateway's), the gateway itself in this process. At each step, after a
 * full GC: heap and RSS per connected socket (growth over the empty gateway), the event-loop
 * delay p99 of the gateway over the step's measurement window, and call setup (call:initiate
 * sent -> call:incoming at the callee, BENCH_GATEWAY_SAMPLES sequential calls between two
 * more members, then joined and ended) p50/p99. Every connection and every step broadcasts
 * presence to every member (PRESENCE_SCOPE=organization, the default), the way a clinic's
 * directory works; BENCH_GATEWAY_PRESENCE_SCOPE=staff|none measures the other scopes. The
 * crowd asks for batched presence (presence:batch frames) as the sample client does;
 * BENCH_GATEWAY_PRESENCE=changes makes it take one presence:changed per change instead.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { connectUser, nextEvent, ok, signToken, startTestApp } from '../test/support/app';
import { dropPrefix } from './calls-flood';
import type { CrowdAdd, CrowdAdded } from './socket-crowd';
import { printTable, summary } from './stats';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const STEPS = (process.env.BENCH_GATEWAY_STEPS ?? '1000,2500,5000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_GATEWAY_SAMPLES ?? 200);
const CHILDREN = Number(process.env.BENCH_GATEWAY_CHILDREN ?? 2);
const SCOPE = (process.env.BENCH_GATEWAY_PRESENCE_SCOPE ?? 'organization') as 'organization' | 'staff' | 'none';
/** How the crowd takes presence: `batched` (presence:batch frames, as the sample client does) or `changes` (one presence:changed each). */
const DELIVERY = (process.env.BENCH_GATEWAY_PRESENCE ?? 'batched') as 'batched' | 'changes';

Logger.overrideLogger(['error']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:gateway does)');
  const prefix = `hearth-bench-gw-${process.pid}:`;
  const t = await startTestApp({
    LOG_LEVEL: 'error',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    RATE_CONNECT_IP: '1000000/1m',
    RATE_CONNECT_USER: '1000000/1m',
    RATE_CALL_SETUP: '1000000/10s',
    RATE_CALL_REPEAT: '1000000/1m',
    RATE_SOCKET_EVENTS: '1000000/10s',
    RATE_USER_EVENTS: '1000000/10s',
    PRESENCE_SCOPE: SCOPE,
  });
  const secret = t.config.JWT_SECRET;
  const children: ChildProcess[] = Array.from({ length: CHILDREN }, () => fork(join(__dirname, 'socket-crowd.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const add = (child: ChildProcess, tokens: string[]) =>
    new Promise<CrowdAdded>((resolve) => {
      child.once('message', (m: CrowdAdded) => resolve(m));
      child.send({ type: 'add', url: t.url, tokens, ...(DELIVERY === 'batched' ? { presence: 'batched' as const } : {}) } satisfies CrowdAdd);
    });
  const measure = () => {
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, rss: m.rss };
  };

  const a = `bench-gw-a-${process.pid}`;
  const b = `bench-gw-b-${process.pid}`;
  const as = await connectUser(t.url, a);
  const bs = await connectUser(t.url, b);
  await sleep(500);
  const empty = measure();
  const rows: (string | number)[][] = [];
  let crowd = 0;
  const connected = [0, 0];
  for (const step of STEPS) {
    const want = step - crowd;
    const tokens = Array.from({ length: want }, (_, i) => signToken(secret, { sub: `bench-gw-${process.pid}-${crowd + i}`, name: `Member ${crowd + i}` }));
    const rampStart = performance.now();
    const per = Math.ceil(want / CHILDREN);
    const results = await Promise.all(children.map((c, i) => add(c, tokens.slice(i * per, (i + 1) * per))));
    const rampSeconds = (performance.now() - rampStart) / 1000;
    results.forEach((r, i) => (connected[i] = r.connected));
    crowd = step;
    const failed = results.reduce((n, r) => n + r.failed, 0);
    await sleep(2000); // presence broadcasts of the ramp drain
    const mem = measure();
    const eld = monitorEventLoopDelay({ resolution: 1 });
    eld.enable();
    const setup: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const incoming = nextEvent<{ callId: string }>(bs, 'call:incoming');
      const t0 = performance.now();
      as.emit('call:initiate', { calleeIds: [b], media: 'audio' }, () => undefined);
      const { callId } = await incoming;
      setup.push(performance.now() - t0);
      await ok(bs, 'call:join', { callId });
      await ok(as, 'call:end', { callId });
    }
    eld.disable();
    const s = summary(setup);
    const sockets = connected.reduce((x, y) => x + y, 0);
    rows.push([
      step,
      sockets,
      failed,
      rampSeconds.toFixed(1),
      ((mem.heap - empty.heap) / sockets / 1024).toFixed(1),
      ((mem.rss - empty.rss) / sockets / 1024).toFixed(1),
      (mem.rss / 2 ** 20).toFixed(0),
      (eld.percentile(99) / 1e6).toFixed(2),
      s.p50,
      s.p99,
    ]);
  }
  printTable(
    `Gateway scale: connected members on one gateway process (presence on Redis, PRESENCE_SCOPE=${SCOPE}, delivered ${DELIVERY === 'batched' ? 'as presence:batch' : 'one presence:changed per change'}); crowd in ${CHILDREN} child processes; ${SAMPLES} sequential call setups per step`,
    ['target', 'connected', 'refused', 'ramp s', 'heap KB/socket', 'RSS KB/socket', 'RSS MB', 'loop delay p99 ms', 'setup p50 ms', 'setup p99 ms'],
    rows,
  );
  console.log('  per socket: growth over the empty gateway after a full GC, divided by the connected crowd; loop delay over the setup window of each step');
  for (const c of children) c.send({ type: 'stop' });
  as.disconnect();
  bs.disconnect();
  await sleep(500);
  await t.close();
  await dropPrefix(REDIS_URL, prefix);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
