import { Body, Controller, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import type { Request } from 'express';
import { APP_CONFIG, isLoopbackHost, type AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { ROLES } from '../common/identity';
import { normalizeDisplayName } from '../common/display-name';
import { userIdSchema } from './payload-schemas';
import { RouteLimit } from '../limits/http-rate-limit';

const devTokenBody = z.object({
  userId: userIdSchema,
  name: z.string().max(400).transform(normalizeDisplayName).pipe(z.string().min(1)),
  role: z.enum(ROLES).optional(),
});

/** Development only (registered only when `config.devTokens`): a token for anyone, so the sample client needs no setup. */
@ApiTags('development')
@Controller('api/dev')
export class DevTokenController {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('token')
  @RouteLimit('devToken', 'ip')
  @ApiOperation({ summary: 'A client token for anyone (development only: on a loopback HOST or with DEV_TOKENS=1; never in production)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['userId', 'name'],
      properties: { userId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ['member', 'host', 'admin'] } },
    },
  })
  async token(@Req() req: Request, @Body(new ZodValidationPipe(devTokenBody)) body: z.infer<typeof devTokenBody>): Promise<{ token: string }> {
    // On by default only because HOST is loopback: a reverse proxy in front would still let the
    // world in, so without an explicit DEV_TOKENS=1 only this machine's own, unproxied requests get one.
    if (this.config.DEV_TOKENS !== true && !fromThisMachine(req)) {
      throw new DomainError('FORBIDDEN', 'development tokens are handed only to this machine (set DEV_TOKENS=1 to hand them to others)');
    }
    const token = await this.jwt.signAsync(
      { sub: body.userId, name: body.name, role: body.role ?? 'member' },
      { algorithm: 'HS256', expiresIn: this.config.DEV_TOKEN_TTL_SECONDS },
    );
    return { token };
  }
}

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

/** A request from this machine that no proxy relayed. */
function fromThisMachine(req: Request): boolean {
  return isLoopbackHost(req.socket.remoteAddress ?? '') && !PROXY_HEADERS.some((h) => req.headers[h] !== undefined);
}
