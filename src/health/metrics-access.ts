import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app-config';

export type MetricsAccess = 'ok' | 'unauthorized' | 'not-served';

/** Whether a scrape on `listener` (the main port, or METRICS_PORT's own) with this Authorization header is served. */
export function metricsAccess(config: Pick<AppConfig, 'METRICS_TOKEN' | 'METRICS_PORT' | 'isProduction'>, listener: 'main' | 'metrics', authorization: string | undefined): MetricsAccess {
  if (listener === 'main' && config.METRICS_PORT > 0) return 'not-served';
  if (config.METRICS_TOKEN) return bearerMatches(authorization, config.METRICS_TOKEN) ? 'ok' : 'unauthorized';
  // Without a token: its own listener (an address the operator chose) is open; the main port only outside production.
  return listener === 'metrics' || !config.isProduction ? 'ok' : 'not-served';
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
