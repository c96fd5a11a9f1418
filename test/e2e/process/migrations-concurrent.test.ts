/**
 * Gateways that start together on an empty database: exactly one runs the migrations (the
 * others wait on a PostgreSQL advisory lock, then find nothing to do). Real processes, real PostgreSQL.
 */
import { Client } from 'pg';
import { ensureTestDatabase, TEST_DATABASE_URL } from '../../support/app';
import { startServerProcess, type ServerProcess } from '../../support/server-process';
import { MIGRATIONS } from '../../../src/persistence/data-source';

describe('migrations with several gateways', () => {
  const dbName = `hearth_migrate_${process.pid}_${Date.now()}`;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${dbName}`;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('three gateways started at once on an empty database all come up, and each migration ran once', async () => {
    await ensureTestDatabase(url.toString());
    const env = { DATABASE_URL: url.toString(), MEDIASOUP_NUM_WORKERS: '1' };
    servers.push(...(await Promise.all([startServerProcess(env), startServerProcess(env), startServerProcess(env)])));
    for (const s of servers) {
      const ready = await fetch(`${s.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(s.output()).not.toMatch(/already exists|duplicate key|QueryFailedError/);
    }
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const { rows } = await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await db.end();
    }
  });
});
