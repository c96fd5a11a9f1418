/**
 * `npm run purge [-- --dry-run] [--env-file <file>]`: the retention purge once, from the command
 * line, on the settings and database the server would use (the same config loader, the same
 * PersistenceModule: DATABASE_URL or the embedded PostgreSQL, migrations under the advisory
 * lock). An entry point like main.ts, so it wires modules instead of importing through ports.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, type AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { retentionCutoffs } from './retention-policy';
import { PURGE_KINDS, RETENTION_STORE, type PurgeCounts, type RetentionCutoffs, type RetentionStore } from './retention.port';

const USAGE = 'usage: npm run purge -- [--dry-run] [--env-file <file>]';

@Module({})
class PurgeCommandModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: PurgeCommandModule, imports: [ConfigModule.forRoot(config), PersistenceModule] };
  }
}

/** KEY=value lines, comments on their own lines (as docker --env-file and systemd read them). */
export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

/** The purge's result as a table: one row per kind, then the total. */
export function purgeTable(counts: PurgeCounts, cutoffs: RetentionCutoffs, dryRun: boolean): string {
  const width = Math.max(...PURGE_KINDS.map((k) => k.length), 'total'.length);
  const total = PURGE_KINDS.reduce((n, k) => n + counts[k], 0);
  const digits = Math.max(4, String(total).length);
  const row = (kind: string, n: number | string) => `${kind.padEnd(width)}  ${String(n).padStart(digits)}`;
  return [
    dryRun ? 'Retention purge, dry run: counted, nothing deleted.' : 'Retention purge: deleted.',
    `  call logs ended before   ${cutoffs.callLogs.toISOString()}`,
    `  guests of sessions over  ${cutoffs.guests.toISOString()}`,
    `  quality samples before   ${cutoffs.qualitySamples.toISOString()}`,
    `  audit entries before     ${cutoffs.audit.toISOString()}`,
    '',
    row('kind', 'rows'),
    ...PURGE_KINDS.map((k) => row(k, counts[k])),
    row('total', total),
    '',
  ].join('\n');
}

/** Runs the command; resolves to the exit code (0 done, 1 failed, 2 bad usage or settings). */
export async function purgeCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: { 'dry-run'?: boolean; 'env-file'?: string; help?: boolean };
  try {
    ({ values: args } = parseArgs({ args: argv, options: { 'dry-run': { type: 'boolean' }, 'env-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: AppConfig;
  try {
    // The environment wins over the file, as with the server's own environment.
    config = loadConfig({ ...(args['env-file'] ? readEnvFile(args['env-file']) : {}), ...env });
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 2;
  }
  const dryRun = args['dry-run'] === true;
  const app = await NestFactory.createApplicationContext(PurgeCommandModule.forRoot(config), { logger: ['error', 'warn'], abortOnError: false }).catch((err: Error) => {
    const hint = config.DATABASE_URL ? '' : ' (the embedded PostgreSQL: is the server running on the same data directory? stop it first, or let its daily purge run)';
    process.stderr.write(`cannot open the database${hint}: ${err.message}\n`);
    return null;
  });
  if (!app) return 1;
  try {
    const cutoffs = retentionCutoffs(config, new Date());
    const counts = await app.get<RetentionStore>(RETENTION_STORE).purge(cutoffs, { dryRun });
    process.stdout.write(purgeTable(counts, cutoffs, dryRun));
    return 0;
  } catch (err) {
    process.stderr.write(`purge failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await app.close();
  }
}
