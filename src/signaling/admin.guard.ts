import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DomainError } from '../common/domain-error';
import { bearer, verifyToken } from './auth';
import type { AuthedRequest } from './jwt-auth.guard';

/** Operator routes: a valid token (401 otherwise) with role `admin` (403 otherwise). */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.user = await verifyToken(this.jwt, bearer(req.headers.authorization));
    if (req.user.role !== 'admin') throw new DomainError('FORBIDDEN', 'admin role required');
    return true;
  }
}
