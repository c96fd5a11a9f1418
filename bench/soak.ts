/**
 * npm run bench:soak — 10,000 call cycles through the call domain of a running gateway (real
 * PostgreSQL, Redis and mediasoup workers), over every end path (cancel, decline, ring
 * timeout, either side ending, both at once, leave, force-end, a drop past the grace, a drop
 * and a rejoin), each with both sides sending and receiving audio through the SFU. Before
 * and after: Redis keys, mediasoup objects, open call rows, live calls, the per-call entries
 * of the gateway's maps, timers, heap and RSS (after a full GC). Everything but heap and RSS
 * must be back to its baseline; heap and RSS are reported with their growth.
 * BENCH_SOAK_CYCLES (10000), BENCH_SOAK_PAIRS (8), BENCH_REDIS_URL.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startTestApp, TEST_DATABASE_URL } from '../test/support/app';
import { Soak, soakClients, type Footprint } from '../test/support/soak';
import { dropPrefix } from './calls-flood';
import { printTable } from './stats';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CYCLES = Number(process.env.BENCH_SOAK_CYCLES ?? 10_000);
const PAIRS = Number(process.env.BENCH_SOAK_PAIRS ?? 8);

Logger.overrideLogger(['error']);

async function main() {
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc (npm run bench:soak does)');
  const prefix = `hearth-bench-soak-${process.pid}:`;
  const t = await startTestApp({ LOG_LEVEL: 'error', REDIS_URL, REDIS_PREFIX: prefix, RING_TIMEOUT_SECONDS: '1', RECONNECT_GRACE_SECONDS: '1' });
  const clients = await soakClients(TEST_DATABASE_URL, REDIS_URL);
  const soak = new Soak(t.app, clients.db, clients.redis);
  const users = await soak.users(PAIRS * 2, `b${process.pid}`);
  const pairs = Array.from({ length: PAIRS }, (_, i) => [users[2 * i], users[2 * i + 1]] as [(typeof users)[0], (typeof users)[0]]);
  await soak.run(pairs, 50, 1); // warm-up
  soak.countTimers();
  const before = await soak.footprint();
  const started = performance.now();
  // In five legs, so memory's course shows (a plateau is the allocator keeping pages; a line is a leak).
  const legs: (string | number)[][] = [['0', before.heapUsedMb, before.externalMb, before.rssMb]];
  for (let leg = 1; leg <= 5; leg++) {
    await soak.run(pairs, Math.round(CYCLES / 5), 20261204 + leg);
    const f = await soak.footprint();
    legs.push([String(Math.round((CYCLES / 5) * leg)), f.heapUsedMb, f.externalMb, f.rssMb]);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await soak.footprint();
  soak.close();

  const flat = (f: Footprint): [string, number][] => [
    ['Redis keys', f.redisKeys],
    ['mediasoup routers', f.routers],
    ['mediasoup transports', f.transports],
    ['mediasoup producers', f.producers],
    ['mediasoup consumers', f.consumers],
    ['media rooms', f.mediaRooms],
    ['open call rows (of the soak\'s calls)', f.openCallRows],
    ['live calls', f.liveCalls],
    ...Object.entries(f.perCallEntries).map(([k, v]) => [`map entries: ${k}`, v] as [string, number]),
    ['timers set by the gateway (src/) still pending', f.timers],
  ];
  const a = flat(after);
  const rows = flat(before).map(([name, v], i) => [name, v, a[i][1], a[i][1] === v ? 'yes' : 'NO']);
  rows.push(['heap used MB (after a full GC)', before.heapUsedMb, after.heapUsedMb, `${(after.heapUsedMb - before.heapUsedMb).toFixed(2)} MB`]);
  rows.push(['external MB (Buffers)', before.externalMb, after.externalMb, `${(after.externalMb - before.externalMb).toFixed(2)} MB`]);
  rows.push(['RSS MB', before.rssMb, after.rssMb, `${(after.rssMb - before.rssMb).toFixed(2)} MB`]);
  printTable(`Soak: ${CYCLES} call cycles over ${PAIRS} pairs in ${seconds.toFixed(1)} s (${(CYCLES / seconds).toFixed(0)} cycles/s), every end path, audio both ways through the SFU`, ['held', 'before', 'after', 'back to baseline'], rows);
  printTable('Soak: memory over the run (after a full GC at each point)', ['cycles', 'heap used MB', 'external MB', 'RSS MB'], legs);
  console.log(`  end paths: ${JSON.stringify(Object.fromEntries(soak.paths))}`);
  console.log(`  refused or failed cycles: ${JSON.stringify(Object.fromEntries(soak.refusals))}`);
  const [, firstLeg] = legs;
  const perThousand = (from: number, to: number, span: number) => (((to - from) * 1000) / span).toFixed(3);
  console.log(`  heap / RSS growth per 1,000 cycles: whole run ${perThousand(before.heapUsedMb, after.heapUsedMb, CYCLES)} / ${perThousand(before.rssMb, after.rssMb, CYCLES)} MB; after the first leg ${perThousand(Number(firstLeg[1]), after.heapUsedMb, CYCLES * 0.8)} / ${perThousand(Number(firstLeg[3]), after.rssMb, CYCLES * 0.8)} MB`);
  const leaked = rows.filter((r) => r[3] === 'NO');
  clients.redis?.disconnect();
  await clients.db.end();
  await t.close();
  await dropPrefix(REDIS_URL, prefix);
  process.exit(leaked.length || soak.refusals.size ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
