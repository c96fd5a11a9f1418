/**
 * npm run bench:join — how long a joiner waits for media: from the `call:join` a browser sends
 * (the callee's answer click in the sample client) to the first RTP packet its page receives,
 * idle and with the gateway's own workers at 70 % of the load they carry at their knee.
 *
 * ## Method
 *
 * One gateway (real PostgreSQL, its real mediasoup workers, the sample client it serves) and one
 * Chromium with two pages, fake camera and microphone. Each sample: the caller's page starts a
 * video call, the callee's page answers; the callee page's own clock gives the time from its
 * `call:join` (`window.__hearth.joinSentAt`) to the first inbound RTP packet of any remote
 * stream (its getStats polled every 5 ms inside the page); then the caller ends the call and
 * both pages are idle again before the next sample. BENCH_JOIN_SAMPLES (30) samples per load.
 *
 * Load: 10-person rooms of SRTP media (AEAD_AES_128_GCM with transport-cc, as in bench:media's
 * SRTP scenario, bench/media-srtp.ts) opened on the gateway's own workers through its media
 * layer, with generator workers standing in for the browsers. The knee is found first: rooms
 * are added one at a time and measured as in bench:media (loss in the SFU path over 0.5 %, a
 * worker over 90 % of a core, or the host out of CPU for the generator ends it); the knee is
 * the last step within limits, or BENCH_JOIN_MAX_ROOMS. Then round(0.7 x knee) rooms (at least
 * one) carry media continuously while the loaded samples are taken, and are measured again at
 * the end so the table shows the load held.
 *
 * On a real deployment the joiner's browser and the other participants are other machines.
 * Here they share the SFU's cores, so the stand-ins get priorities that model it: the
 * generator's workers run at nice 19 (they yield to everything). The browser's threads run at
 * BENCH_JOIN_BROWSER_NICE (default 0, like the gateway and its workers; -10 gives it the cores
 * it needs first, closer to a browser on its own machine under load, but then the idle gateway
 * waits behind it; needs root). Either way the SFU shares two cores with its stand-ins, so the
 * loaded figure is pessimistic for a dedicated SFU host.
 */
import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { MetricsRegistry } from '../src/health/metrics.registry';
import { MediaService } from '../src/media/media.service';
import { loadMediaCodecs } from '../src/media/media.service';
import { startTestApp } from '../test/support/app';
import { launchChromium, uniqueUser } from '../test/support/chromium';
import { ClientPage } from '../test/support/client-page';
import { groupRoom, measure, verdict, type Row, type Run } from './media';
import { Generator } from './media-rtp';
import { GenPool, type SrtpScenario } from './media-srtp';
import { OursSystem } from './media-systems';
import { printTable, summary } from './stats';

const num = (name: string, def: number) => {
  const n = Number(process.env[name] ?? def);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number`);
  return n;
};
const SAMPLES = num('BENCH_JOIN_SAMPLES', 30);
const MAX_ROOMS = num('BENCH_JOIN_MAX_ROOMS', 20);
/** Skip the ramp: take this many rooms as the knee (e.g. from an earlier run). */
const GIVEN_KNEE = process.env.BENCH_JOIN_KNEE_ROOMS ? num('BENCH_JOIN_KNEE_ROOMS', 0) : null;
const LOAD_SHARE = 0.7;
const SCENARIO: SrtpScenario = { suite: 'AEAD_AES_128_GCM', feedback: 'transport-cc' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

const BROWSER_NICE = num('BENCH_JOIN_BROWSER_NICE', 0);

/** Sets the nice value of every thread of every process named `comm` (nice is per thread on Linux); how many threads. */
function favour(comm: string, nice: number): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        os.setPriority(Number(tid), nice);
        n++;
      }
    } catch {
      // gone meanwhile, or not allowed (not root): left as it is
    }
  }
  return n;
}

/** One call per sample; the callee's page measures its join. */
async function samples(caller: ClientPage, callee: ClientPage, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await caller.call([callee.userId], 'video');
    await callee.waitForIncoming();
    const first = callee.waitForFirstPacket(20_000);
    await callee.answer();
    const at = await first;
    out.push(at - (await callee.joinSentAt())!);
    await callee.waitForState('in-call');
    await caller.click('end');
    await Promise.all([caller.waitForState('ready'), callee.waitForState('ready')]);
    await sleep(200);
  }
  return out;
}

interface Phase {
  joins: number[];
  /** Mean time the gateway took to answer a call:join (its hearth_call_join_latency_seconds). */
  serverJoinMs: number;
  /** The gateway's event-loop delay p99 while the joins ran. */
  loopP99Ms: number;
}

/** The joins of one load, with what the gateway's own figures say about them. */
async function phase(metrics: MetricsRegistry, caller: ClientPage, callee: ClientPage, n: number): Promise<Phase> {
  const joinTotals = async () => {
    const v = (await metrics.join.get()).values;
    const pick = (suffix: string) => v.find((x) => x.metricName === `hearth_call_join_latency_seconds${suffix}`)?.value ?? 0;
    return { sum: pick('_sum'), count: pick('_count') };
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const j0 = await joinTotals();
  loop.enable();
  const joins = await samples(caller, callee, n);
  loop.disable();
  const j1 = await joinTotals();
  return { joins, serverJoinMs: ((j1.sum - j0.sum) / Math.max(1, j1.count - j0.count)) * 1000, loopP99Ms: loop.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  // One caller calls one callee again and again: far past the default repeat-call limits, which are raised out of the way.
  const t = await startTestApp({
    LOG_LEVEL: 'error',
    MEDIASOUP_NUM_WORKERS: String(os.availableParallelism()),
    RATE_CALL_SETUP: '1000000/10s',
    RATE_CALL_REPEAT: '1000000/1m',
    RATE_HTTP_IP: '100000/1m',
    RATE_HTTP_USER: '100000/1m',
    // The load rooms are media rooms without calls, which the reconciler would close as orphans.
    RECONCILE_INTERVAL_SECONDS: '86400',
    RTC_MIN_PORT: '40100',
    RTC_MAX_PORT: '44999',
    CLIENT_DIST_DIR: path.resolve(__dirname, '..', '..', 'client', 'dist'),
  });
  const browser = await launchChromium();
  const caller = await ClientPage.open(browser, t.url, uniqueUser('caller'));
  const callee = await ClientPage.open(browser, t.url, uniqueUser('callee'));
  // The joiner's browser stands in for a participant's own machine: it gets the cores first.
  const favoured = favour('chromium', BROWSER_NICE);
  const ours = new OursSystem(t.app.get(MediaService));
  const pool = new GenPool({ numWorkers: os.availableParallelism(), rtcMinPort: 45000, rtcMaxPort: 49999, mediaCodecs: loadMediaCodecs() });
  await pool.start();
  // The generator stands in for the participants' own machines: it yields the cores to the
  // gateway, its workers and the joiner's browser whenever they want them.
  for (const w of pool.workers()) os.setPriority(w.pid, 19);
  const gen = new Generator();
  gen.start();
  console.log(
    `bench:join — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); gateway with ${ours.workers().length} workers; ` +
      `${SAMPLES} joins per load; load: 10-person SRTP rooms (${SCENARIO.suite} + ${SCENARIO.feedback}) on the gateway's workers; ` +
      `the browser's ${favoured} threads at nice ${BROWSER_NICE}, the generator's workers at 19`,
  );

  const metrics = t.app.get(MetricsRegistry);
  await samples(caller, callee, 3); // warm-up: the pages' first calls, the workers' first routers
  const idle = await phase(metrics, caller, callee, SAMPLES);
  process.stderr.write(`  idle: p50 ${f1(summary(idle.joins).p50)} ms\n`);

  // The knee: rooms added one at a time until a limit shows twice.
  const run: Run = { sys: ours, srtp: { scenario: SCENARIO, pool }, rooms: [], rows: [] };
  let knee: Row | undefined;
  let why = GIVEN_KNEE === null ? `BENCH_JOIN_MAX_ROOMS=${MAX_ROOMS}` : `BENCH_JOIN_KNEE_ROOMS=${GIVEN_KNEE}`;
  if (GIVEN_KNEE !== null) {
    for (let n = 1; n <= GIVEN_KNEE; n++) run.rooms.push(await groupRoom(ours, gen, `join-load-${n}`, { scenario: SCENARIO, pool }));
    knee = await measure(gen, run, GIVEN_KNEE);
  }
  for (let n = 1; GIVEN_KNEE === null && n <= MAX_ROOMS; n++) {
    run.rooms.push(await groupRoom(ours, gen, `join-load-${n}`, { scenario: SCENARIO, pool }));
    let row = await measure(gen, run, n);
    let limit = verdict(row);
    if (limit) {
      row = await measure(gen, run, n);
      limit = verdict(row);
    }
    process.stderr.write(`  rooms ${n}: ${f1(row.usPerPkt)} µs/pkt, loss ${row.sfuLossPct.toFixed(2)} %${limit ? `, limit: ${limit.reason}` : ''}\n`);
    if (limit) {
      why = limit.reason;
      break;
    }
    knee = row;
  }
  const kneeRooms = knee?.step ?? 0;
  const loadRooms = Math.max(1, Math.round(kneeRooms * LOAD_SHARE));
  while (run.rooms.length > loadRooms) run.rooms.pop()!.close();
  for (const r of run.rooms) gen.setActive(r.group, true);
  await sleep(2000);
  const loaded = await phase(metrics, caller, callee, SAMPLES);
  const held = await measure(gen, run, loadRooms); // the load as it was during the samples
  gen.stop();

  const s0 = summary(idle.joins);
  const s1 = summary(loaded.joins);
  const loadText = (r: Row) => `${r.consumers} consumers, ${Math.round(r.fwdPps)} fwd pkt/s, workers ${r.workerCpu.map((c) => f1(c * 100)).join(' / ')} % CPU, loss ${r.sfuLossPct.toFixed(2)} %, host ${f1(r.hostCpu * 100)} % of ${os.cpus().length * 100}`;
  printTable(
    'call:join sent -> first RTP packet at the joiner (ms, callee page clock)',
    ['load', 'rooms', 'joins', 'p50', 'p95', 'max', 'p95 / idle p95', 'gateway join ack ms (mean)', 'gateway loop delay p99 ms', 'load measured'],
    [
      ['idle', 0, idle.joins.length, f1(s0.p50), f1(s0.p95), f1(s0.max), '1.00', f1(idle.serverJoinMs), f1(idle.loopP99Ms), '-'],
      [
        `70 % of the knee (${kneeRooms} rooms; ended by ${why})`,
        loadRooms,
        loaded.joins.length,
        f1(s1.p50),
        f1(s1.p95),
        f1(s1.max),
        (s1.p95 / s0.p95).toFixed(2),
        f1(loaded.serverJoinMs),
        f1(loaded.loopP99Ms),
        loadText(held),
      ],
    ],
  );
  console.log(knee ? `knee: ${kneeRooms} rooms, ${loadText(knee)}` : 'knee: not reached one room within limits');

  for (const r of run.rooms) r.close();
  await Promise.all([caller.close(), callee.close()]);
  await browser.close();
  pool.close();
  await t.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
