import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Identity } from '../calls/ports';
import { bearer, TokenVerifier } from './auth';

export type AuthedRequest = Request & { user: Identity };

/** REST routes take the same JWT as sockets, as `Authorization: Bearer <token>`. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenVerifier) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.user = await this.tokens.verify(bearer(req.headers.authorization));
    return true;
  }
}
