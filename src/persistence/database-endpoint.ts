import { Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddedDatabase } from './embedded-database';

/** Where the database is: DATABASE_URL, or an embedded PostgreSQL started (and stopped) here. */
export class DatabaseEndpoint implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private embedded?: EmbeddedDatabase;
  url = '';

  async open(config: AppConfig): Promise<this> {
    if (config.DATABASE_URL) {
      this.url = config.DATABASE_URL;
    } else {
      this.embedded = new EmbeddedDatabase(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT);
      this.url = await this.embedded.start();
    }
    return this;
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const embedded = this.embedded;
    this.embedded = undefined;
    await embedded?.stop().catch((err: Error) => this.logger.warn({ err: err.message }, 'embedded PostgreSQL stop failed'));
  }
}

@Module({
  providers: [{ provide: DatabaseEndpoint, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new DatabaseEndpoint().open(c) }],
  exports: [DatabaseEndpoint],
})
export class DatabaseEndpointModule {}
