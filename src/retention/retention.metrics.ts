import { Counter, type Registry } from 'prom-client';
import type { PurgeKind, RetentionMetrics } from './retention.port';

/** `hearth_retention_purged_rows_total{kind}` on the application's registry. */
export function prometheusRetentionMetrics(registry: Registry): RetentionMetrics {
  const counter = new Counter({ name: 'hearth_retention_purged_rows_total', help: 'Rows deleted by the retention purge, by kind', labelNames: ['kind'], registers: [registry] });
  return { purged: (kind: PurgeKind, rows: number) => counter.inc({ kind }, rows) };
}
