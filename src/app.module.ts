import { existsSync } from 'node:fs';
import { DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ServeStaticModule } from '@nestjs/serve-static';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { AdminModule } from './admin/admin.module';
import { HealthModule } from './health/health.module';
import { LimitsModule } from './limits/limits.module';
import { MetricsModule } from './health/metrics.registry';
import { PersistenceModule } from './persistence/persistence.module';
import { PresenceModule } from './presence/presence.module';
import { ClusterStoreModule } from './cluster/cluster-store.module';
import { RetentionModule } from './retention/retention.module';
import { SessionsModule } from './sessions/sessions.module';
import { ChannelModule } from './signaling/channel.module';
import { AuthModule } from './signaling/auth.module';
import { SignalingModule } from './signaling/signaling.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const client = existsSync(config.CLIENT_DIST_DIR)
      ? [ServeStaticModule.forRoot({ rootPath: config.CLIENT_DIST_DIR, exclude: ['/api/{*path}', '/health/{*path}', '/metrics', '/socket.io/{*path}'] })]
      : [];
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        JwtModule.register({ global: true, secret: config.JWT_SECRET, signOptions: { algorithm: 'HS256' } }),
        AuthModule,
        MetricsModule,
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.LOG_LEVEL,
            autoLogging: false,
            // Lines logged while serving a request carry its id only, not its headers.
            quietReqLogger: true,
            // Never log credentials or cookies.
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
        }),
        LimitsModule,
        PersistenceModule,
        ChannelModule,
        PresenceModule,
        ClusterStoreModule,
        SignalingModule.forRoot(config),
        HealthModule,
        AdminModule,
        SessionsModule,
        RetentionModule,
        ...client,
      ],
    };
  }
}
