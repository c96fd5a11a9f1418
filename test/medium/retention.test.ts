/**
 * Retention on real PostgreSQL: what is older than its cutoff goes, with exact counts per kind;
 * newer rows and every row of a call that has not ended stay; a dry run deletes nothing and
 * counts exactly what the real run then deletes. Runs in a database of its own, so the counts
 * are not disturbed by other suites' rows.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/persistence/data-source';
import { openMigrated } from '../../src/persistence/migrate';
import { TypeOrmRetentionStore } from '../../src/persistence/retention.store';
import { purgeCommand } from '../../src/retention/purge-command';
import { retentionCutoffs } from '../../src/retention/retention-policy';
import { RetentionJob } from '../../src/retention/retention.job';
import { prometheusRetentionMetrics } from '../../src/retention/retention.metrics';
import { noPurge, PURGE_KINDS, type PurgeCounts } from '../../src/retention/retention.port';
import { ensureTestDatabase, TEST_DATABASE_URL } from '../support/app';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const TABLES = ['call_sessions', 'call_participants', 'call_events', 'call_quality_samples', 'sessions', 'session_invites', 'session_guests', 'operator_audit'];
const defaults = { CALL_LOG_RETENTION_DAYS: 365, GUEST_RETENTION_DAYS: 30, QUALITY_RETENTION_DAYS: 30, AUDIT_RETENTION_DAYS: 365 };

describe('retention purge', () => {
  const url = (() => {
    const u = new URL(TEST_DATABASE_URL);
    u.pathname = `/hearth_retention_${process.pid}`;
    return u.toString();
  })();
  let ds: DataSource;
  let db: Client;
  let store: TypeOrmRetentionStore;

  beforeAll(async () => {
    await ensureTestDatabase(url);
    ds = await openMigrated(dataSourceOptions(url));
    store = new TypeOrmRetentionStore(ds);
    db = new Client({ connectionString: url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await ds?.destroy();
    const admin = new URL(url);
    admin.pathname = '/postgres';
    const c = new Client({ connectionString: admin.toString() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "hearth_retention_${process.pid}" WITH (FORCE)`);
    await c.end();
  });

  beforeEach(async () => {
    await db.query(`TRUNCATE ${TABLES.map((t) => `"${t}"`).join(', ')} CASCADE`);
  });

  async function tableCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await db.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
    return out;
  }

  const exists = async (table: string, where: string, params: unknown[]) => Number((await db.query(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`, params)).rows[0].n);

  async function call(o: { status: string; createdAt: Date; endedAt: Date | null; kind?: 'call' | 'session'; participants?: number; events?: number; samplesAt?: Date[] }): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO call_sessions (id, initiator_id, media, kind, status, end_reason, created_at, ended_at, duration_seconds) VALUES ($1, 'u-init', 'audio', $2, $3, $4, $5, $6, $7)`,
      [id, o.kind ?? 'call', o.status, o.status === 'ended' ? 'completed' : null, o.createdAt, o.endedAt, o.endedAt ? 60 : null],
    );
    for (let i = 0; i < (o.participants ?? 0); i++) {
      await db.query(`INSERT INTO call_participants (call_id, user_id, role, state) VALUES ($1, $2, 'callee', 'left')`, [id, `u-${i}`]);
    }
    for (let i = 0; i < (o.events ?? 0); i++) {
      await db.query(`INSERT INTO call_events (call_id, at, subject, from_state, to_state) VALUES ($1, $2, 'call', 'initiated', 'ringing')`, [id, o.createdAt]);
    }
    for (const at of o.samplesAt ?? []) {
      await db.query(`INSERT INTO call_quality_samples (call_id, user_id, at, origin) VALUES ($1, 'u-0', $2, 'server')`, [id, at]);
    }
    return id;
  }

  async function session(o: { callStatus: string; callEndedAt: Date | null; status: string; startsAt: Date; guests: number; invites?: number; participants?: number; events?: number }) {
    const callId = await call({ status: o.callStatus, createdAt: o.startsAt, endedAt: o.callEndedAt, kind: 'session', participants: o.participants, events: o.events });
    const id = randomUUID();
    await db.query(
      `INSERT INTO sessions (id, call_id, title, host_ids, starts_at, duration_minutes, lobby, max_participants, status, created_by) VALUES ($1, $2, 'Group', '{h}', $3, 60, true, 8, $4, 'h')`,
      [id, callId, o.startsAt, o.status],
    );
    for (let i = 0; i < (o.invites ?? 0); i++) {
      await db.query(`INSERT INTO session_invites (id, session_id, created_by, expires_at) VALUES ($1, $2, 'h', $3)`, [randomUUID(), id, o.startsAt]);
    }
    for (let i = 0; i < o.guests; i++) {
      await db.query(`INSERT INTO session_guests (id, session_id, name) VALUES ($1, $2, 'Guest Name')`, [`guest-${randomUUID()}`, id]);
    }
    return { id, callId };
  }

  async function audit(at: Date, n = 1): Promise<void> {
    await db.query(`INSERT INTO operator_audit (at, actor_id, action, target, outcome) SELECT $1, 'admin', 'worker.add', g::text, 'ok' FROM generate_series(1, $2) g`, [at, n]);
  }

  it('deletes exactly what is past its retention, keeps the rest and every open call, and a dry run deletes nothing', async () => {
    const oldCall = await call({ status: 'ended', createdAt: ago(401), endedAt: ago(400), participants: 2, events: 3, samplesAt: [ago(400), ago(400)] });
    const keptCall = await call({ status: 'ended', createdAt: ago(301), endedAt: ago(300), participants: 2, events: 2, samplesAt: [ago(300), ago(5)] });
    const openCall = await call({ status: 'active', createdAt: ago(500), endedAt: null, participants: 1, events: 1, samplesAt: [ago(400)] });
    // Inconsistent on purpose: not ended, whatever ended_at says.
    const ringing = await call({ status: 'ringing', createdAt: ago(500), endedAt: ago(450), participants: 1, events: 1 });
    const oldSession = await session({ callStatus: 'ended', callEndedAt: ago(400), status: 'ended', startsAt: ago(400), guests: 2, invites: 1, participants: 1, events: 1 });
    const endedSession = await session({ callStatus: 'ended', callEndedAt: ago(40), status: 'ended', startsAt: ago(40), guests: 1 });
    const freshSession = await session({ callStatus: 'ended', callEndedAt: ago(10), status: 'ended', startsAt: ago(10), guests: 1 });
    const neverHeld = await session({ callStatus: 'initiated', callEndedAt: null, status: 'scheduled', startsAt: ago(50), guests: 1 });
    const upcoming = await session({ callStatus: 'initiated', callEndedAt: null, status: 'scheduled', startsAt: new Date(Date.now() + 7 * DAY), guests: 1 });
    // A session still scheduled keeps its call, even an ended one.
    const stillScheduled = await session({ callStatus: 'ended', callEndedAt: ago(400), status: 'scheduled', startsAt: ago(400), guests: 0 });
    await audit(ago(400), 2);
    await audit(ago(10));

    const expected: PurgeCounts = {
      calls: 2,
      call_participants: 3,
      call_events: 4,
      quality_samples: 3,
      sessions: 1,
      session_invites: 1,
      session_guests: 4,
      audit_entries: 2,
    };
    const cutoffs = retentionCutoffs(defaults, new Date());
    const before = await tableCounts();

    expect(await store.purge(cutoffs, { dryRun: true })).toEqual(expected);
    expect(await tableCounts()).toEqual(before);

    expect(await store.purge(cutoffs, { dryRun: false })).toEqual(expected);
    const after = await tableCounts();
    expect(after).toEqual({
      call_sessions: before.call_sessions - 2,
      call_participants: before.call_participants - 3,
      call_events: before.call_events - 4,
      call_quality_samples: before.call_quality_samples - 3,
      sessions: before.sessions - 1,
      session_invites: before.session_invites - 1,
      session_guests: before.session_guests - 4,
      operator_audit: before.operator_audit - 2,
    });

    for (const gone of [oldCall, oldSession.callId]) expect(await exists('call_sessions', 'id = $1', [gone])).toBe(0);
    for (const kept of [keptCall, openCall, ringing, endedSession.callId, freshSession.callId, neverHeld.callId, upcoming.callId, stillScheduled.callId]) {
      expect({ kept, n: await exists('call_sessions', 'id = $1', [kept]) }).toEqual({ kept, n: 1 });
    }
    expect(await exists('call_participants', 'call_id = $1', [keptCall])).toBe(2);
    expect(await exists('call_events', 'call_id = $1', [openCall])).toBe(1);
    expect(await exists('call_participants', 'call_id = $1', [ringing])).toBe(1);
    // The open call's old sample stays; the kept call keeps only its recent one.
    expect(await exists('call_quality_samples', 'call_id = $1', [openCall])).toBe(1);
    expect(await exists('call_quality_samples', 'call_id = $1 AND at > $2', [keptCall, ago(6)])).toBe(1);
    expect(await exists('call_quality_samples', 'call_id = $1', [keptCall])).toBe(1);
    expect(await exists('sessions', 'id = $1', [endedSession.id])).toBe(1);
    expect(await exists('session_guests', 'session_id = $1', [endedSession.id])).toBe(0);
    expect(await exists('session_guests', 'session_id = $1', [freshSession.id])).toBe(1);
    expect(await exists('session_guests', 'session_id = $1', [neverHeld.id])).toBe(0);
    expect(await exists('session_guests', 'session_id = $1', [upcoming.id])).toBe(1);
    expect(await exists('operator_audit', 'at > $1', [ago(11)])).toBe(1);

    // Nothing left to do.
    expect(await store.purge(retentionCutoffs(defaults, new Date()), { dryRun: false })).toEqual(noPurge());
  });

  it('counts exactly across batches, and the daily job counts what it purged in the Prometheus counter', async () => {
    await audit(ago(400), 5003);
    await audit(ago(1), 7);
    const cutoffs = retentionCutoffs(defaults, new Date());
    expect((await store.purge(cutoffs, { dryRun: true })).audit_entries).toBe(5003);
    expect(await exists('operator_audit', 'true', [])).toBe(5010);

    const registry = new Registry();
    const config = loadConfig({}, { NODE_ENV: 'test', DATABASE_URL: url });
    const job = new RetentionJob(config, store, prometheusRetentionMetrics(registry));
    job.onApplicationBootstrap();
    const [first, again] = [job.run(), job.run()];
    expect(again).toBe(first); // one purge at a time, shared
    expect((await first).audit_entries).toBe(5003);
    await job.beforeApplicationShutdown();
    expect(await exists('operator_audit', 'true', [])).toBe(7);
    const metric = await registry.getSingleMetricAsString('hearth_retention_purged_rows_total');
    expect(metric).toContain('hearth_retention_purged_rows_total{kind="audit_entries"} 5003');
    expect(metric).not.toContain('kind="calls"');
  });

  it('npm run purge: the same purge from the server settings, a table of rows per kind, --dry-run deleting nothing', async () => {
    await call({ status: 'ended', createdAt: ago(401), endedAt: ago(400), participants: 2, events: 3 });
    await audit(ago(400), 2);
    const out: string[] = [];
    const errors: string[] = [];
    const [write, writeErr] = [process.stdout.write, process.stderr.write];
    const run = async (args: string[]) => {
      out.length = 0;
      errors.length = 0;
      process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
      process.stderr.write = ((chunk: string | Uint8Array) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
      try {
        return await purgeCommand(args, { DATABASE_URL: url, NODE_ENV: 'test', CALL_LOG_RETENTION_DAYS: '365' });
      } finally {
        process.stdout.write = write;
        process.stderr.write = writeErr;
      }
    };
    const rowOf = (kind: string) => out.join('').split('\n').find((l) => l.startsWith(`${kind} `))?.trim().split(/\s+/);

    expect(await run(['--dry-run'])).toBe(0);
    expect(out.join('')).toMatch(/dry run/);
    for (const kind of PURGE_KINDS) expect(rowOf(kind)).toHaveLength(2);
    expect(rowOf('calls')).toEqual(['calls', '1']);
    expect(rowOf('call_events')).toEqual(['call_events', '3']);
    expect(rowOf('audit_entries')).toEqual(['audit_entries', '2']);
    expect(rowOf('total')).toEqual(['total', '8']);
    expect(await exists('call_sessions', 'true', [])).toBe(1);

    expect(await run([])).toBe(0);
    expect(rowOf('call_participants')).toEqual(['call_participants', '2']);
    expect(rowOf('total')).toEqual(['total', '8']);
    expect(await tableCounts()).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));

    expect(await run(['--nope'])).toBe(2);
    expect(errors.join('')).toMatch(/usage: npm run purge/);
  });
});
