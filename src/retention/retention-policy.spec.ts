import { purgeTable, readEnvFile } from './purge-command';
import { retentionCutoffs } from './retention-policy';
import { noPurge } from './retention.port';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('retention policy', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');

  it('puts each cutoff its retention in days before now', () => {
    expect(retentionCutoffs({ CALL_LOG_RETENTION_DAYS: 365, GUEST_RETENTION_DAYS: 30, QUALITY_RETENTION_DAYS: 7, AUDIT_RETENTION_DAYS: 1 }, now)).toEqual({
      callLogs: new Date('2025-12-01T12:00:00.000Z'),
      guests: new Date('2026-11-01T12:00:00.000Z'),
      qualitySamples: new Date('2026-11-24T12:00:00.000Z'),
      audit: new Date('2026-11-30T12:00:00.000Z'),
    });
  });

  it('prints one row per kind and the total', () => {
    const c = retentionCutoffs({ CALL_LOG_RETENTION_DAYS: 1, GUEST_RETENTION_DAYS: 1, QUALITY_RETENTION_DAYS: 1, AUDIT_RETENTION_DAYS: 1 }, now);
    const text = purgeTable({ ...noPurge(), calls: 2, call_events: 10 }, c, true);
    expect(text).toMatch(/dry run/);
    expect(text).toMatch(/^calls +2$/m);
    expect(text).toMatch(/^call_events +10$/m);
    expect(text).toMatch(/^audit_entries +0$/m);
    expect(text).toMatch(/^total +12$/m);
  });

  it('reads env files as KEY=value lines, comments on their own lines', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'purge-env-')), '.env');
    writeFileSync(file, '# comment\nDATABASE_URL=postgres://x@h/db\n\nCALL_LOG_RETENTION_DAYS=90\r\nODD=a=b\n');
    expect(readEnvFile(file)).toEqual({ DATABASE_URL: 'postgres://x@h/db', CALL_LOG_RETENTION_DAYS: '90', ODD: 'a=b' });
  });
});
