/**
 * Retention: what is purged, when it counts as old enough, and the ports persistence/ and the
 * metrics implement. No per-call state: the purge reads and deletes in PostgreSQL only, so
 * several gateways purging the same database at once only find less to delete.
 */

/** The kinds of rows a purge deletes, one per table; the label of the purge counter. */
export const PURGE_KINDS = ['calls', 'call_participants', 'call_events', 'quality_samples', 'sessions', 'session_invites', 'session_guests', 'audit_entries'] as const;
export type PurgeKind = (typeof PURGE_KINDS)[number];
export type PurgeCounts = Record<PurgeKind, number>;

/** Rows older than these instants go. */
export interface RetentionCutoffs {
  /** Ended calls whose end is older: the call row, its participants, events and samples, its session and that session's invites and guests. */
  callLogs: Date;
  /** Guests of sessions that ended (or, never held, were scheduled to end) before this. */
  guests: Date;
  /** Quality samples taken before this (of ended calls). */
  qualitySamples: Date;
  /** Operator audit entries recorded before this. */
  audit: Date;
}

export interface RetentionStore {
  /**
   * Deletes what the cutoffs make old and returns how many rows of each kind went. A live or
   * open call's rows never go, whatever their age. With dryRun the same deletes run in a
   * transaction that is rolled back: the counts are what a real run would delete now, and
   * nothing is deleted.
   */
  purge(cutoffs: RetentionCutoffs, opts: { dryRun: boolean }): Promise<PurgeCounts>;
}
export const RETENTION_STORE = Symbol('RETENTION_STORE');

/** Counts purged rows (a Prometheus counter by kind). */
export interface RetentionMetrics {
  purged(kind: PurgeKind, rows: number): void;
}
export const RETENTION_METRICS = Symbol('RETENTION_METRICS');

export const noPurge = (): PurgeCounts => Object.fromEntries(PURGE_KINDS.map((k) => [k, 0])) as PurgeCounts;
