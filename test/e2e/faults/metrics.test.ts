/**
 * /metrics says what is true, through a worker crash and bad input: process metrics carry one
 * prefix, worker CPU is a counter per slot that a replacement continues, acks are counted by
 * event and code from closed lists, readiness is exported; a stats:report with an absurd
 * counter is refused and never costs another call its quality samples; and every metric the
 * Grafana dashboard and the alert rules use is one a real scrape has.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { ERROR_CODES } from '../../../src/common/error-codes';
import { MediaService } from '../../../src/media/media.service';
import { QualityService } from '../../../src/quality/quality.service';
import { C2S } from '../../../src/signaling/catalogue';
import { TEST_DATABASE_URL, connectUser, ok, request, settled, startTestApp, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scrape {
  text: string;
  /** `name{labels}` (labels as printed) -> value. */
  samples: Map<string, number>;
  /** `# TYPE` name -> type. */
  types: Map<string, string>;
}

function parse(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1], t[2]);
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  return { text, samples, types };
}

/** Every series of `name`: its labels and value. */
function series(s: Scrape, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const [key, value] of s.samples) {
    const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key)!;
    if (m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value });
  }
  return out;
}

const value = (s: Scrape, name: string, labels: Record<string, string> = {}) =>
  series(s, name).find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length)?.value;

/** The metric names a scrape offers to PromQL: every sample name and every declared family (a labelled family with no series yet still counts). */
function offered(s: Scrape): Set<string> {
  const names = new Set<string>();
  for (const key of s.samples.keys()) names.add(key.split('{')[0]);
  for (const [name, type] of s.types) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

const hearthNames = (expr: string) => [...expr.matchAll(/\bhearth_[a-z0-9_]+/g)].map((m) => m[0]);

describe('/metrics', () => {
  let t: TestApp;
  let db: Client;
  const sockets: Socket[] = [];
  const scrape = async (): Promise<Scrape> => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    return parse(await res.text());
  };
  const user = async (name: string) => {
    const id = `met-${process.pid}-${name}`;
    const s = await connectUser(t.url, id);
    sockets.push(s);
    return { id, s };
  };

  beforeAll(async () => {
    t = await startTestApp({
      MEDIASOUP_NUM_WORKERS: '2',
      WORKER_RESPAWN_DELAY_MS: '100',
      QUALITY_SAMPLE_SECONDS: '3600', // sampled by hand (tick)
      REDIS_URL,
      REDIS_PREFIX: `hearth-metrics-${process.pid}:`,
    });
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
    await db?.end();
  });

  it('names the process metrics with one prefix, and every metric starts hearth_', async () => {
    const s = await scrape();
    expect(s.text).not.toMatch(/hearth_process_process_|hearth_process_nodejs_/);
    for (const name of ['hearth_process_cpu_seconds_total', 'hearth_process_resident_memory_bytes', 'hearth_process_start_time_seconds', 'hearth_nodejs_eventloop_lag_p99_seconds', 'hearth_nodejs_heap_size_used_bytes']) {
      expect(s.types.has(name)).toBe(true);
      expect(s.text.split('\n').filter((l) => l.startsWith(`# TYPE ${name} `))).toHaveLength(1);
    }
    expect([...s.types.keys()].filter((n) => !n.startsWith('hearth_'))).toEqual([]);
  });

  it('exports readiness as /health/ready sees it', async () => {
    const s = await scrape();
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
    expect(value(s, 'hearth_ready')).toBe(1);
    expect(Object.fromEntries(series(s, 'hearth_ready_check').map((x) => [x.labels.check, x.value]))).toEqual({ database: 1, redis: 1, mediaWorkers: 1 });
  });

  it('counts worker CPU per slot, without pids, and a replacement continues its slot', async () => {
    const media = t.app.get(MediaService);
    const before = await scrape();
    expect(before.types.get('hearth_media_worker_cpu_seconds_total')).toBe('counter');
    expect(before.text).not.toMatch(/hearth_media_worker_cpu_seconds[a-z_]*\{[^}]*pid=/);
    const cpu = series(before, 'hearth_media_worker_cpu_seconds_total');
    expect(cpu.map((c) => c.labels).sort((a, b) => a.slot.localeCompare(b.slot))).toEqual([{ slot: '0' }, { slot: '1' }]);
    const slot0Before = value(before, 'hearth_media_worker_cpu_seconds_total', { slot: '0' })!;
    expect(slot0Before).toBeGreaterThan(0); // a worker's start costs it some CPU
    expect(value(before, 'hearth_worker_deaths_total', { slot: '0' })).toBe(0);

    const victim = media.pool.list().find((w) => w.slot === 0)!;
    const replaced = new Promise<number>((resolve) => media.pool.on('workeradded', (w) => w.slot === 0 && resolve(w.pid)));
    process.kill(victim.pid, 'SIGKILL');
    const pid = await replaced;
    // Right after the death the slot's total has not gone back.
    const during = await scrape();
    expect(value(during, 'hearth_media_worker_cpu_seconds_total', { slot: '0' })).toBeGreaterThanOrEqual(slot0Before);
    // Once the replacement has a CPU reading (sampled every 2 s), the slot goes on from where it was.
    for (let i = 0; i < 50 && !((await media.workerStats()).find((w) => w.pid === pid)?.cpuTimeMs ?? 0); i++) await sleep(200);
    const after = await scrape();
    expect(value(after, 'hearth_media_worker_cpu_seconds_total', { slot: '0' })).toBeGreaterThan(slot0Before);
    expect(value(after, 'hearth_worker_deaths_total', { slot: '0' })).toBe(1);
    expect(value(after, 'hearth_worker_deaths_total', { slot: '1' })).toBe(0);
    expect(value(after, 'hearth_worker_respawn_delay_seconds', { slot: '0' })).toBeCloseTo(0.1, 5);
    expect(value(after, 'hearth_media_workers', { state: 'active' })).toBe(2);
  });

  it('counts acks by event and code, with labels from the catalogue and the error codes only', async () => {
    const a = await user('a');
    const b = await user('b');
    const before = await scrape();
    const { callId } = await ok<{ callId: string }>(a.s, 'call:initiate', { calleeIds: [b.id], media: 'audio' });
    expect(await request(a.s, 'call:join', { callId: 'not-an-id' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await request(b.s, 'media:create-transport', { callId, direction: 'send' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await ok(a.s, 'call:cancel', { callId });
    const after = await scrape();
    const grew = (event: string, code: string) => (value(after, 'hearth_acks_total', { event, code }) ?? 0) - (value(before, 'hearth_acks_total', { event, code }) ?? 0);
    expect(grew('call:initiate', 'ok')).toBe(1);
    expect(grew('call:join', 'VALIDATION_FAILED')).toBe(1);
    expect(grew('media:create-transport', 'FORBIDDEN')).toBe(1);
    expect(grew('call:cancel', 'ok')).toBe(1);
    expect(after.types.get('hearth_acks_total')).toBe('counter');
    const events = new Set<string>(Object.values(C2S));
    const codes = new Set<string>(['ok', ...ERROR_CODES]);
    for (const { labels } of series(after, 'hearth_acks_total')) {
      expect(Object.keys(labels).sort()).toEqual(['code', 'event']);
      expect(events.has(labels.event)).toBe(true);
      expect(codes.has(labels.code)).toBe(true);
    }
  });

  it('refuses a stats:report with an absurd counter, and one bad report never costs another call its samples', async () => {
    const [a, b, c, d] = [await user('qa'), await user('qb'), await user('qc'), await user('qd')];
    const call = async (x: typeof a, y: typeof a) => {
      const { callId } = await ok<{ callId: string }>(x.s, 'call:initiate', { calleeIds: [y.id], media: 'audio' });
      await ok(x.s, 'call:join', { callId });
      await ok(y.s, 'call:join', { callId });
      return callId;
    };
    const call1 = await call(a, b);
    const call2 = await call(c, d);
    const before = await scrape();

    expect(await request(b.s, 'stats:report', { callId: call1, samples: [{ kind: 'audio', direction: 'inbound', packetsLost: 2 ** 31 }] })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await request(b.s, 'stats:report', { callId: call1, samples: [{ freezeCount: 1e12 }] })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    await ok(d.s, 'stats:report', { callId: call2, samples: [{ kind: 'audio', direction: 'inbound', packetsLost: 7, freezeCount: 1 }] });
    // Past the schema (as a value read from a worker could be): stored as unknown, never refused with everyone's rows.
    t.app.get(QualityService).clientReport({ userId: a.id, name: a.id, role: 'member', socketId: a.s.id! } as Parameters<QualityService['clientReport']>[0], {
      callId: call1,
      samples: [{ kind: 'audio', direction: 'inbound', packetsLost: 1e15, freezeCount: 1e12, jitter: 1e300, roundTripTime: 0.05 }],
    });
    await settled(t.app);
    await t.app.get(QualityService).tick();

    const rows = await db.query<{ call_id: string; user_id: string; packets_lost: number | null; freezes: number | null; jitter_ms: number | null; rtt_ms: number | null }>(
      `SELECT call_id, user_id, packets_lost, freezes, jitter_ms, rtt_ms FROM call_quality_samples WHERE call_id = ANY($1) AND origin = 'client' ORDER BY call_id`,
      [[call1, call2]],
    );
    expect(rows.rows.find((r) => r.call_id === call2)).toMatchObject({ user_id: d.id, packets_lost: 7, freezes: 1 });
    expect(rows.rows.find((r) => r.call_id === call1)).toMatchObject({ user_id: a.id, packets_lost: null, freezes: null, jitter_ms: null, rtt_ms: 50 });
    expect(rows.rows).toHaveLength(2);

    const after = await scrape();
    const grew = (code: string) => (value(after, 'hearth_acks_total', { event: 'stats:report', code }) ?? 0) - (value(before, 'hearth_acks_total', { event: 'stats:report', code }) ?? 0);
    expect(grew('VALIDATION_FAILED')).toBe(2);
    expect(grew('ok')).toBe(1);
    await ok(a.s, 'call:end', { callId: call1 });
    await ok(c.s, 'call:end', { callId: call2 });
  });

  it('has every metric the Grafana dashboard and the alert rules use', async () => {
    const dir = path.join(__dirname, '../../../docker/grafana');
    const dashboard = JSON.parse(readFileSync(path.join(dir, 'hearth-sfu.json'), 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[]; panels?: unknown[] }[];
      templating: { list: { query?: unknown; definition?: string }[] };
    };
    const panelExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => ({ where: `panel "${p.title}"`, expr: x.expr })));
    const templateExprs = dashboard.templating.list.flatMap((v) => (v.definition ? [{ where: 'variable', expr: v.definition }] : []));
    const rules = readFileSync(path.join(dir, 'alerts.yml'), 'utf8');
    const ruleExprs = [...rules.matchAll(/^\s+expr:\s*(.*)$/gm)].map((m) => ({ where: 'alerts.yml', expr: m[1] }));
    expect(ruleExprs.length).toBe([...rules.matchAll(/^\s+- alert:/gm)].length); // one single-line expr per rule
    expect(ruleExprs.every((r) => r.expr && !/^[|>]/.test(r.expr))).toBe(true);

    // The panels the issue asks for are there.
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    for (const want of ['calls by status', 'participants', 'workers by state', 'worker cpu', 'media objects', 'acks by code', 'ack error rate', 'rate-limited', 'retention', 'event-loop lag', 'resident memory']) {
      expect(titles.some((x) => x.includes(want))).toBe(true);
    }
    for (const want of ['worker_deaths', 'hearth_acks_total{code=~"INTERNAL|UNAVAILABLE"}', 'hearth_media_workers{state="active"}', 'hearth_ready']) expect(rules).toContain(want);

    const have = offered(await scrape());
    const used = [...panelExprs, ...templateExprs, ...ruleExprs].flatMap(({ where, expr }) => hearthNames(expr).map((name) => ({ where, name })));
    expect(new Set(used.map((u) => u.name)).size).toBeGreaterThanOrEqual(15);
    expect(used.filter((u) => !have.has(u.name))).toEqual([]);
  });
});
