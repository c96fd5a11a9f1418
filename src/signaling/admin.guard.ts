import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { bearer, TokenVerifier } from './auth';
import type { AuthedRequest } from './jwt-auth.guard';

/** Operator routes: a valid token (401 otherwise) with role `admin` (403 otherwise). */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly tokens: TokenVerifier) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.user = await this.tokens.verify(bearer(req.headers.authorization));
    if (req.user.role !== 'admin') throw new DomainError('FORBIDDEN', 'admin role required');
    return true;
  }
}
