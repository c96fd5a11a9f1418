import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { Identity } from '../common/identity';
import { RateLimits, type LimitName } from './rate-limits';

const ROUTE_LIMIT = 'hearth:route-limit';

/** A route's own, stricter limit, counted per client address (`ip`) or per signed-in user (`user`). */
export const RouteLimit = (limit: LimitName, per: 'ip' | 'user') => SetMetadata(ROUTE_LIMIT, { limit, per });

/**
 * Every REST route: RATE_HTTP_USER per signed-in user (after its guard has identified them) and
 * the route's own limit if it has one. The per-address limit (RATE_HTTP_IP) runs before any
 * route, in http-hardening. A refusal is HTTP 429 with Retry-After.
 */
@Injectable()
export class HttpRateLimit implements NestInterceptor {
  constructor(
    private readonly limits: RateLimits,
    private readonly reflector: Reflector,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request & { user?: Identity }>();
    if (req.user) await this.limits.consume('httpUser', req.user.userId);
    const own = this.reflector.get<{ limit: LimitName; per: 'ip' | 'user' } | undefined>(ROUTE_LIMIT, ctx.getHandler());
    if (own) await this.limits.consume(own.limit, own.per === 'user' && req.user ? req.user.userId : (req.ip ?? 'unknown'));
    return next.handle();
  }
}
