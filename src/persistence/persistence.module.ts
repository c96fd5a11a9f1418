import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CALL_LOG_STORE } from '../calls/ports';
import { TypeOrmCallLogStore } from './call-log.store';
import { DatabaseHealth } from './database-health';
import { TypeOrmQualityStore } from './quality.store';
import { TypeOrmInviteStore } from './invite.store';
import { TypeOrmSessionStore } from './session.store';
import { INVITE_STORE, SESSION_STORE } from '../sessions/ports';
import { SESSION_ADMISSIONS, SESSION_DIRECTORY } from '../calls/session-controls';
import { QUALITY_STORE } from '../quality/ports';
import { dataSourceOptions } from './data-source';
import { openMigrated } from './migrate';
import { DatabaseEndpoint, DatabaseEndpointModule } from './database-endpoint';
import { AUDIT_LOG } from '../audit/audit.port';
import { RETENTION_STORE } from '../retention/retention.port';
import { TypeOrmAuditLog } from './audit.store';
import { TypeOrmRetentionStore } from './retention.store';

/** The only module that knows about TypeORM and PostgreSQL. */
@Global()
@Module({
  imports: [
    DatabaseEndpointModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseEndpointModule],
      inject: [DatabaseEndpoint, APP_CONFIG],
      useFactory: (db: DatabaseEndpoint, config: AppConfig) =>
        dataSourceOptions(db.url, { max: config.DB_POOL_MAX, connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS }),
      // Migrations run under an advisory lock: several gateways may start at once.
      dataSourceFactory: (options) => openMigrated(options!),
    }),
  ],
  providers: [
    TypeOrmCallLogStore,
    DatabaseHealth,
    TypeOrmQualityStore,
    TypeOrmSessionStore,
    TypeOrmInviteStore,
    { provide: INVITE_STORE, useExisting: TypeOrmInviteStore },
    { provide: SESSION_ADMISSIONS, useExisting: TypeOrmInviteStore },
    { provide: SESSION_STORE, useExisting: TypeOrmSessionStore },
    { provide: SESSION_DIRECTORY, useExisting: TypeOrmSessionStore },
    { provide: CALL_LOG_STORE, useExisting: TypeOrmCallLogStore },
    { provide: QUALITY_STORE, useExisting: TypeOrmQualityStore },
    { provide: AUDIT_LOG, useClass: TypeOrmAuditLog },
    { provide: RETENTION_STORE, useClass: TypeOrmRetentionStore },
  ],
  exports: [CALL_LOG_STORE, QUALITY_STORE, SESSION_STORE, AUDIT_LOG, RETENTION_STORE, SESSION_DIRECTORY, INVITE_STORE, SESSION_ADMISSIONS, TypeOrmCallLogStore, DatabaseHealth, DatabaseEndpointModule],
})
export class PersistenceModule {}
