import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { noPurge, type PurgeCounts, type PurgeKind, type RetentionCutoffs, type RetentionStore } from '../retention/retention.port';

/** Rows per DELETE statement: each batch is its own short transaction, so a large first purge never holds locks for long. */
const ROW_BATCH = 5000;
/** Calls per batch (each takes its participants, events, samples, session, invites and guests along). */
const CALL_BATCH = 500;

/** One batch of one step: the rows it deleted, by kind, and whether the step has more to do. */
type Batch = { counts: Partial<PurgeCounts>; more: boolean };
type Step = (m: EntityManager) => Promise<Batch>;

/** A call is over only when ended; a scheduled session's call waits in `initiated` and is not over either. */
const ENDED_CALL = `c.status = 'ended'`;

async function deleteCount(m: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const rows: { n: number }[] = await m.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`, params);
  return rows[0].n;
}

/** Quality samples taken before the cutoff, of ended calls only. */
export async function deleteQualityBatch(m: EntityManager, cutoff: Date, limit = ROW_BATCH): Promise<number> {
  return deleteCount(
    m,
    `DELETE FROM call_quality_samples WHERE id IN (
       SELECT q.id FROM call_quality_samples q JOIN call_sessions c ON c.id = q.call_id
        WHERE q.at < $1 AND ${ENDED_CALL} LIMIT $2)`,
    [cutoff, limit],
  );
}

/**
 * Purges call logs, guests, quality samples and audit entries by their retention. Every kind is
 * deleted explicitly (never by cascade) so the counts are exact, and nothing of a call that has
 * not ended goes, however old.
 */
@Injectable()
export class TypeOrmRetentionStore implements RetentionStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async purge(cutoffs: RetentionCutoffs, opts: { dryRun: boolean }): Promise<PurgeCounts> {
    const counts = noPurge();
    const steps: Step[] = [
      async (m) => {
        const n = await deleteQualityBatch(m, cutoffs.qualitySamples);
        return { counts: { quality_samples: n }, more: n === ROW_BATCH };
      },
      (m) => this.guestBatch(m, cutoffs.guests),
      (m) => this.callLogBatch(m, cutoffs.callLogs),
      async (m) => {
        const n = await deleteCount(m, `DELETE FROM operator_audit WHERE id IN (SELECT id FROM operator_audit WHERE at < $1 LIMIT $2)`, [cutoffs.audit, ROW_BATCH]);
        return { counts: { audit_entries: n }, more: n === ROW_BATCH };
      },
    ];
    const add = (b: Batch) => {
      for (const [kind, n] of Object.entries(b.counts) as [PurgeKind, number][]) counts[kind] += n;
    };
    if (!opts.dryRun) {
      for (const step of steps) {
        for (let more = true; more; ) {
          const b = await this.db.transaction(step);
          add(b);
          more = b.more;
        }
      }
      return counts;
    }
    // The very same deletes, in one transaction that never commits.
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      for (const step of steps) {
        for (let more = true; more; ) {
          const b = await step(runner.manager);
          add(b);
          more = b.more;
        }
      }
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    return counts;
  }

  /**
   * Guests of sessions that are over: their call ended before the cutoff, or it never started
   * and the session was scheduled to end before it (its guest tokens expired an hour after that).
   */
  private async guestBatch(m: EntityManager, cutoff: Date): Promise<Batch> {
    const n = await deleteCount(
      m,
      `DELETE FROM session_guests WHERE id IN (
         SELECT g.id FROM session_guests g
           JOIN sessions s ON s.id = g.session_id
           JOIN call_sessions c ON c.id = s.call_id
          WHERE (${ENDED_CALL} AND c.ended_at < $1)
             OR (c.status = 'initiated' AND s.starts_at + s.duration_minutes * interval '1 minute' < $1)
          LIMIT $2)`,
      [cutoff, ROW_BATCH],
    );
    return { counts: { session_guests: n }, more: n === ROW_BATCH };
  }

  /** Ended calls whose end is older than the cutoff, with everything that belongs to them. */
  private async callLogBatch(m: EntityManager, cutoff: Date): Promise<Batch> {
    const doomed: { id: string }[] = await m.query(
      `SELECT c.id FROM call_sessions c
        WHERE ${ENDED_CALL} AND c.ended_at < $1
          AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.call_id = c.id AND s.status = 'scheduled')
        ORDER BY c.ended_at LIMIT $2 FOR UPDATE`,
      [cutoff, CALL_BATCH],
    );
    if (!doomed.length) return { counts: {}, more: false };
    const ids = [doomed.map((d) => d.id)];
    const counts: Partial<PurgeCounts> = {
      quality_samples: await deleteCount(m, `DELETE FROM call_quality_samples WHERE call_id = ANY($1::uuid[])`, ids),
      call_events: await deleteCount(m, `DELETE FROM call_events WHERE call_id = ANY($1::uuid[])`, ids),
      call_participants: await deleteCount(m, `DELETE FROM call_participants WHERE call_id = ANY($1::uuid[])`, ids),
      session_guests: await deleteCount(m, `DELETE FROM session_guests WHERE session_id IN (SELECT id FROM sessions WHERE call_id = ANY($1::uuid[]))`, ids),
      session_invites: await deleteCount(m, `DELETE FROM session_invites WHERE session_id IN (SELECT id FROM sessions WHERE call_id = ANY($1::uuid[]))`, ids),
      sessions: await deleteCount(m, `DELETE FROM sessions WHERE call_id = ANY($1::uuid[])`, ids),
      calls: await deleteCount(m, `DELETE FROM call_sessions WHERE id = ANY($1::uuid[])`, ids),
    };
    return { counts, more: doomed.length === CALL_BATCH };
  }
}
