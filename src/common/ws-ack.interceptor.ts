import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor, Optional } from '@nestjs/common';
import { catchError, map, of, type Observable } from 'rxjs';
import { ackOk, toAckError } from './ack';

/** Counts acks by event and code (`ok` or an ErrorCode); implemented by health/, optional. */
export interface AckMetrics {
  acked(event: string, code: string): void;
}
export const ACK_METRICS = Symbol('ACK_METRICS');

/**
 * Wraps every socket handler's result in the ack envelope `{ ok, data | error }`.
 * Pipes run inside `next.handle()`, so validation errors land here too: a bad payload
 * always gets an ack, never an exception that reaches the socket or the worker.
 */
@Injectable()
export class WsAckInterceptor implements NestInterceptor {
  private readonly logger = new Logger('WsAck');

  constructor(@Optional() @Inject(ACK_METRICS) private readonly metrics?: AckMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = context.switchToWs().getPattern();
    return next.handle().pipe(
      map((data) => {
        this.metrics?.acked(event, 'ok');
        return ackOk(data ?? {});
      }),
      catchError((err: unknown) => {
        const { ack, unexpected } = toAckError(err);
        if (unexpected) {
          const client = context.switchToWs().getClient<{ data?: { user?: { userId?: string } } }>();
          this.logger.error({ err, event, userId: client.data?.user?.userId }, 'unexpected error in socket handler');
        }
        this.metrics?.acked(event, ack.error.code);
        return of(ack);
      }),
    );
  }
}
