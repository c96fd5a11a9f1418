/**
 * npm run bench:calls — call lifecycle latency and throughput against the real gateway
 * (real PostgreSQL, real mediasoup workers), with the in-process store and with Redis.
 *   setup:   call:initiate sent -> call:incoming received by the callee
 *   release: call:end sent -> both busy locks gone and the media room closed (server-side)
 *   cycles:  initiate -> join -> join -> end, sustained, several lanes in parallel
 * Each with the in-process store, with Redis, and with two gateways on one Redis: both parties
 * on the same gateway, then the caller on one and the callee on the other (the callee's
 * requests, and its events, cross nodes through the relay and the Redis adapter).
 * These rows run with the abuse limits raised (RAISED_LIMITS): 200 back-to-back calls by one
 * caller to one callee, and the cycles, are far past the default RATE_CALL_SETUP and
 * RATE_CALL_REPEAT, and would be refused. The limiter still runs on every request (its cost is
 * part of the call path); only its thresholds are out of the way, so they measure the call path.
 * Then, with the DEFAULT limits and Redis, a well-behaved user's call setup with and without a
 * flood by other users (bench/calls-flood.ts).
 * Loopback only; bounded in count and time.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io-client';
import { RateLimits } from '../src/limits/rate-limits';
import { ClusterNode } from '../src/cluster/cluster-node';
import { MediaService } from '../src/media/media.service';
import { PresenceService } from '../src/presence/presence.service';
import { connectUser, liveCalls, nextEvent, ok, settled, startTestApp, type TestApp } from '../test/support/app';
import { dropPrefix, floodComparison, printFloodTable } from './calls-flood';
import { printTable, summary } from './stats';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const CYCLE_SECONDS = Number(process.env.BENCH_CYCLE_SECONDS ?? 10);
const LANES = Number(process.env.BENCH_LANES ?? 4);

/** Generous enough that no limit is ever reached by the lifecycle rows (see the header). */
const RAISED_LIMITS = {
  RATE_CALL_SETUP: '1000000/10s',
  RATE_CALL_REPEAT: '1000000/1m',
  RATE_SOCKET_EVENTS: '1000000/10s',
  RATE_USER_EVENTS: '1000000/10s',
};

Logger.overrideLogger(['error']);

async function untilTrue(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (;;) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
}

/** `gateways`: how many nodes run (on one Redis); `spread`: callers on the first, callees on the second. */
async function run(label: string, env: Record<string, string>, gateways = 1, spread = false) {
  const nodes: TestApp[] = [];
  for (let i = 0; i < gateways; i++) nodes.push(await startTestApp({ LOG_LEVEL: 'error', RING_TIMEOUT_SECONDS: '30', ...RAISED_LIMITS, ...env }));
  const store = nodes[0].app.get(PresenceService).store;
  const media = nodes.map((n) => n.app.get(MediaService));
  const users: { id: string; s: Socket }[] = [];
  for (let i = 0; i < LANES * 2; i++) {
    const id = `bench-${label.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}-${i}`;
    const node = spread && i % 2 === 1 ? nodes[1] : nodes[0];
    users.push({ id, s: await connectUser(node.url, id) });
  }

  // Samples by the node hosting the call: the caller's (its initiate and end run there), or the
  // callee's (they are relayed). Spread over two gateways, the second half runs with the
  // caller's node draining (it places no call on itself), so every call is on the callee's node.
  const samples = new Map<string, { setup: number[]; release: number[] }>();
  const [a, b] = users;
  const sample = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const incoming = nextEvent<{ callId: string }>(b.s, 'call:incoming');
      const t0 = performance.now();
      a.s.emit('call:initiate', { calleeIds: [b.id], media: 'video' }, () => undefined);
      const { callId } = await incoming;
      const setupMs = performance.now() - t0;
      const where = !spread ? label : liveCalls(nodes[0].app).has(callId) ? `${label}, call on the caller's node` : `${label}, call on the callee's node`;
      await ok(a.s, 'call:join', { callId });
      await ok(b.s, 'call:join', { callId });
      const t1 = performance.now();
      a.s.emit('call:end', { callId }, () => undefined);
      await untilTrue(async () => media.every((m) => !m.hasRoom(callId)) && (await store.busyHolder(a.id)) === null && (await store.busyHolder(b.id)) === null);
      const row = samples.get(where) ?? samples.set(where, { setup: [], release: [] }).get(where)!;
      row.setup.push(setupMs);
      row.release.push(performance.now() - t1);
    }
  };
  await sample(spread ? SAMPLES / 2 : SAMPLES);

  let cycles = 0;
  const deadline = Date.now() + CYCLE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const caller = users[lane * 2];
      const callee = users[lane * 2 + 1];
      while (Date.now() < deadline) {
        const { callId } = await ok<{ callId: string }>(caller.s, 'call:initiate', { calleeIds: [callee.id], media: 'audio' });
        await ok(caller.s, 'call:join', { callId });
        await ok(callee.s, 'call:join', { callId });
        await ok(caller.s, 'call:end', { callId });
        cycles++;
      }
    }),
  );
  if (spread) {
    await nodes[0].app.get(ClusterNode).drain();
    await sample(SAMPLES / 2);
  }
  for (const n of nodes) await settled(n.app);
  const refused = nodes.flatMap((n) => [...n.app.get(RateLimits).refused]).filter(([, n]) => n > 0);
  if (refused.length) throw new Error(`limits were reached in the raised-limits run: ${refused.map(([k, n]) => `${k}=${n}`).join(', ')}`);
  for (const u of users) u.s.disconnect();
  for (const n of nodes) await n.close();
  return [...samples].map(([where, r], i) => ({ label: where, n: r.setup.length, setup: summary(r.setup), release: summary(r.release), cyclesPerSecond: i === 0 ? cycles / CYCLE_SECONDS : null }));
}

async function main() {
  const redisPrefix = `hearth-bench-${process.pid}-redis:`;
  const clusterPrefix = `hearth-bench-${process.pid}-cluster:`;
  const results = [
    ...(await run('in-process', {})),
    ...(await run('redis', { REDIS_URL, REDIS_PREFIX: redisPrefix })),
    ...(await run('redis, 2 gateways, same node', { REDIS_URL, REDIS_PREFIX: clusterPrefix }, 2, false)),
    ...(await run('redis, 2 gateways, cross-node', { REDIS_URL, REDIS_PREFIX: clusterPrefix }, 2, true)),
  ];
  await dropPrefix(REDIS_URL, redisPrefix);
  await dropPrefix(REDIS_URL, clusterPrefix);
  printTable(
    `Call lifecycle (limits raised: these rows measure the call path, not the limiter; ${SAMPLES} sequential calls; ${LANES} lanes for ${CYCLE_SECONDS} s of cycles; loopback, 2 mediasoup workers)`,
    ['store / topology', 'calls', 'setup p50 ms', 'setup p99 ms', 'release p50 ms', 'release p99 ms', 'cycles/s'],
    results.map((r) => [r.label, String(r.n), r.setup.p50, r.setup.p99, r.release.p50, r.release.p99, r.cyclesPerSecond ?? '']),
  );
  console.log('  2 gateways: two nodes on one Redis in this one process (one event loop for both); cross-node: caller on the first, callee on the second; on the caller\'s node the callee\'s join is relayed and call:incoming crosses the Redis adapter, on the callee\'s node (the second half, with the caller\'s node draining so it places nothing on itself) the caller\'s initiate, join and end are relayed; cycles/s: the whole run, both nodes serving');
  console.log(`  limits raised: ${Object.entries(RAISED_LIMITS).map(([k, v]) => `${k}=${v}`).join(' ')} (the limiter still counts every request; nothing is refused)`);
  const flood = await floodComparison(REDIS_URL);
  printFloodTable(flood);
  process.exit(flood.rows.some((r) => r.wellBehavedRefused > 0) ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
