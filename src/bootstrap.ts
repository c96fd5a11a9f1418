import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ConfigError, type AppConfig } from './config/app-config';
import { HttpErrorFilter } from './common/http-exception.filter';
import { openPubSub } from './presence/redis-connections';
import { harden } from './signaling/http-hardening';
import { RedisIoAdapter } from './signaling/redis-io.adapter';
import { ConfiguredIoAdapter } from './signaling/socket-io.adapter';
import { SocketChannel } from './signaling/socket-channel';

/** Builds and starts the whole server; used by main.ts and by the medium/e2e tests. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const httpsOptions = config.TLS_CERT_FILE && config.TLS_KEY_FILE ? { cert: readPem('TLS_CERT_FILE', config.TLS_CERT_FILE), key: readPem('TLS_KEY_FILE', config.TLS_KEY_FILE) } : undefined;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false, ...(httpsOptions ? { httpsOptions } : {}) });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new HttpErrorFilter());
  harden(app, config);
  if (config.apiDocs) {
    // OpenAPI for every REST route, at /api/docs (JSON at /api/docs-json); API_DOCS=0 (default in production) turns it off.
    const openapi = new DocumentBuilder()
      .setTitle('hearth-sfu')
      .setDescription('REST API of the gateway. Real-time signaling is socket.io: see the README, "Wire protocol".')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi));
  }
  const channel = app.get(SocketChannel);
  app.useWebSocketAdapter(
    config.REDIS_URL ? new RedisIoAdapter(app, config, openPubSub(config.REDIS_URL), config.REDIS_PREFIX, () => channel.detach()) : new ConfiguredIoAdapter(app, config),
  );
  if (config.jwtSecretGenerated) logger.warn('JWT_SECRET not set: using a random secret for this process (development only)');
  if (config.devTokens && config.NODE_ENV !== 'test') {
    logger.warn(
      `DEV TOKENS ARE ON: POST /api/dev/token hands a token for any user and any role, admin included, to whoever asks (${config.DEV_TOKENS ? 'DEV_TOKENS=1' : `HOST ${config.HOST} is loopback`}). Development only.`,
    );
  }
  if (!existsSync(config.CLIENT_DIST_DIR)) logger.warn(`sample client not built (${config.CLIENT_DIST_DIR}); run npm run build:client`);
  await app.listen(config.PORT, config.HOST);
  if (config.TLS_CERT_FILE && config.TLS_KEY_FILE) reloadTlsOnHangup(app, config.TLS_CERT_FILE, config.TLS_KEY_FILE);
  return app;
}

/** SIGHUP reads the certificate and key again (after a renewal); open connections keep theirs. */
function reloadTlsOnHangup(app: INestApplication, certFile: string, keyFile: string): void {
  const server = app.getHttpServer() as HttpsServer;
  const logger = app.get(Logger);
  const reload = () => {
    try {
      server.setSecureContext({ cert: readPem('TLS_CERT_FILE', certFile), key: readPem('TLS_KEY_FILE', keyFile) });
      logger.log('TLS certificate reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'TLS certificate reload failed; the previous one stays in use');
    }
  };
  process.on('SIGHUP', reload);
  server.once('close', () => process.off('SIGHUP', reload));
}

/** A PEM file named by a setting; a missing or unreadable one stops the boot naming that setting. */
function readPem(setting: string, file: string): Buffer {
  try {
    const pem = readFileSync(file);
    if (!pem.includes('-----BEGIN')) throw new Error('not a PEM file');
    return pem;
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${setting}: cannot use ${file} (${(err as Error).message})`);
  }
}
