import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** One key for this schema's migrations (an arbitrary constant: "hearth" in ASCII). */
const MIGRATION_LOCK_KEY = 0x6865617274;

/**
 * Opens the data source and brings the schema up to date while holding a PostgreSQL advisory
 * lock, so gateways that start together on an empty database run the migrations once: the
 * others wait, then find nothing pending. A session lock dies with its connection, so a
 * gateway that crashes mid-migration cannot block the rest.
 */
export async function openMigrated(options: DataSourceOptions): Promise<DataSource> {
  const logger = new Logger('Migrations');
  const ds = await new DataSource({ ...options, migrationsRun: false }).initialize();
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const ran = await ds.runMigrations({ transaction: 'all' });
      if (ran.length) logger.log({ migrations: ran.map((m) => m.name) }, 'schema migrated');
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (err) {
    await lock.release().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
    throw err;
  }
  await lock.release();
  return ds;
}
