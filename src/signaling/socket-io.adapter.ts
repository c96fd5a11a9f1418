import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';
import { originAllowed } from '../common/origins';

/**
 * socket.io with this deployment's limits: messages up to SOCKET_MAX_PAYLOAD_BYTES, and a
 * browser connection only from this server's own origin or one of CORS_ORIGINS (WebSockets
 * are not covered by CORS, so the Origin header is checked here).
 */
export class ConfiguredIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    protected readonly config: Pick<AppConfig, 'SOCKET_MAX_PAYLOAD_BYTES' | 'CORS_ORIGINS'>,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: this.config.SOCKET_MAX_PAYLOAD_BYTES,
      cors: this.config.CORS_ORIGINS.length ? { origin: this.config.CORS_ORIGINS, credentials: false } : undefined,
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const ok = originAllowed(req.headers.origin, req.headers.host, this.config.CORS_ORIGINS);
        callback(ok ? null : 'origin not allowed', ok);
      },
    }) as Server;
  }
}
