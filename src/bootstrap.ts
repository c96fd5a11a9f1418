import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { HttpErrorFilter } from './common/http-exception.filter';
import { RedisIoAdapter } from './signaling/redis-io.adapter';
import { SocketChannel } from './signaling/socket-channel';

/** Builds and starts the whole server; used by main.ts and by the medium/e2e tests. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new HttpErrorFilter());
  // OpenAPI for every REST route, at /api/docs (JSON at /api/docs-json).
  const openapi = new DocumentBuilder()
    .setTitle('hearth-sfu')
    .setDescription('REST API of the gateway. Real-time signaling is socket.io: see the README, "Wire protocol".')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi));
  if (config.REDIS_URL) {
    const channel = app.get(SocketChannel);
    const adapter = new RedisIoAdapter(app, config.REDIS_URL, () => channel.detach());
    await adapter.connect();
    app.useWebSocketAdapter(adapter);
  }
  if (config.jwtSecretGenerated) logger.warn('JWT_SECRET not set: using a random secret for this process (development only)');
  if (!existsSync(config.CLIENT_DIST_DIR)) logger.warn(`sample client not built (${config.CLIENT_DIST_DIR}); run npm run build:client`);
  await app.listen(config.PORT, config.HOST);
  return app;
}
