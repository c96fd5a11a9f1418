import { DataSource, type DataSourceOptions } from 'typeorm';
import { CallEventEntity } from './entities/call-event.entity';
import { CallParticipantEntity } from './entities/call-participant.entity';
import { CallSessionEntity } from './entities/call-session.entity';
import { GatewayInstanceEntity } from './entities/gateway-instance.entity';
import { OperatorAuditEntity } from './entities/operator-audit.entity';
import { QualitySampleEntity } from './entities/quality-sample.entity';
import { SessionGuestEntity } from './entities/session-guest.entity';
import { SessionInviteEntity } from './entities/session-invite.entity';
import { TherapySessionEntity } from './entities/therapy-session.entity';
import { CallLog1764400000000 } from './migrations/1764400000000-CallLog';
import { EventLogOwnership1764500000000 } from './migrations/1764500000000-EventLogOwnership';
import { ParticipantMediaState1764600000000 } from './migrations/1764600000000-ParticipantMediaState';
import { QualitySamples1764700000000 } from './migrations/1764700000000-QualitySamples';
import { Sessions1764800000000 } from './migrations/1764800000000-Sessions';
import { SessionInvites1764950000000 } from './migrations/1764950000000-SessionInvites';
import { AuditAndRetention1765000000000 } from './migrations/1765000000000-AuditAndRetention';

export const ENTITIES = [CallSessionEntity, CallParticipantEntity, CallEventEntity, GatewayInstanceEntity, QualitySampleEntity, TherapySessionEntity, SessionGuestEntity, SessionInviteEntity, OperatorAuditEntity];
export const MIGRATIONS = [CallLog1764400000000, EventLogOwnership1764500000000, ParticipantMediaState1764600000000, QualitySamples1764700000000, Sessions1764800000000, SessionInvites1764950000000, AuditAndRetention1765000000000];

/** Schema changes only through migrations; never `synchronize`. */
export interface PoolSettings {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}
const DEFAULT_POOL: PoolSettings = { max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 15_000 };

export function dataSourceOptions(url: string, pool: PoolSettings = DEFAULT_POOL): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    // Run by openMigrated() under an advisory lock (the CLI runs them explicitly).
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    // Bounded waits: an unreachable database fails requests and writes fast (they are retried or
    // answered UNAVAILABLE) instead of hanging them.
    extra: {
      max: pool.max,
      connectionTimeoutMillis: pool.connectTimeoutMs,
      statement_timeout: pool.statementTimeoutMs,
      query_timeout: pool.statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: pool.statementTimeoutMs,
      keepAlive: true,
    },
  };
}

/** For the TypeORM CLI (`npm run migration:generate`). */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hearth'));
