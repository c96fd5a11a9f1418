import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { catchError, map, of, type Observable } from 'rxjs';
import { ackOk, toAckError } from './ack';

/**
 * Wraps every socket handler's result in the ack envelope `{ ok, data | error }`.
 * Pipes run inside `next.handle()`, so validation errors land here too: a bad payload
 * always gets an ack, never an exception that reaches the socket or the worker.
 */
@Injectable()
export class WsAckInterceptor implements NestInterceptor {
  private readonly logger = new Logger('WsAck');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = context.switchToWs().getPattern();
    return next.handle().pipe(
      map((data) => ackOk(data ?? {})),
      catchError((err: unknown) => {
        const { ack, unexpected } = toAckError(err);
        if (unexpected) {
          const client = context.switchToWs().getClient<{ data?: { user?: { userId?: string } } }>();
          this.logger.error({ err, event, userId: client.data?.user?.userId }, 'unexpected error in socket handler');
        }
        return of(ack);
      }),
    );
  }
}
