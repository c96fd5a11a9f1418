import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from './domain-error';
import { HTTP_STATUS } from './error-codes';
import { isOutage } from './outage';

/** REST errors use the same codes as socket acks: `{ error: { code, message } }`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof DomainError) {
      const retryAfterMs = Number(err.details?.retryAfterMs);
      if (err.code === 'RATE_LIMITED' && retryAfterMs > 0) res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.status(HTTP_STATUS[err.code]).json({ error: { ...(err.details ?? {}), code: err.code, message: err.message } });
      return;
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const code = status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
      res.status(status).json({ error: { code, message: err.message } });
      return;
    }
    if (isOutage(err)) {
      this.logger.warn({ err: (err as Error).message }, 'request failed: a dependency is unavailable');
      res.status(HTTP_STATUS.UNAVAILABLE).json({ error: { code: 'UNAVAILABLE', message: 'A part of the service is unavailable right now; try again shortly' } });
      return;
    }
    this.logger.error({ err }, 'unexpected error in HTTP handler');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  }
}
