import type { AppConfig } from '../config/app-config';
import type { RetentionCutoffs } from './retention.port';

const DAY_MS = 86_400_000;

export type RetentionSettings = Pick<AppConfig, 'CALL_LOG_RETENTION_DAYS' | 'GUEST_RETENTION_DAYS' | 'QUALITY_RETENTION_DAYS' | 'AUDIT_RETENTION_DAYS'>;

/** The cutoffs the settings give at `now`: each kind's retention in days before it. */
export function retentionCutoffs(settings: RetentionSettings, now: Date): RetentionCutoffs {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  return {
    callLogs: before(settings.CALL_LOG_RETENTION_DAYS),
    guests: before(settings.GUEST_RETENTION_DAYS),
    qualitySamples: before(settings.QUALITY_RETENTION_DAYS),
    audit: before(settings.AUDIT_RETENTION_DAYS),
  };
}
