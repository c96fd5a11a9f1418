import { Body, Controller, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { userIdSchema } from './payload-schemas';

const devTokenBody = z.object({
  userId: userIdSchema,
  name: z.string().trim().min(1).max(80),
  role: z.enum(['member', 'host', 'admin']).optional(),
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
  @ApiOperation({ summary: 'A client token for anyone (development only: on a loopback HOST or with DEV_TOKENS=1; never in production)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['userId', 'name'],
      properties: { userId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ['member', 'host', 'admin'] } },
    },
  })
  async token(@Body(new ZodValidationPipe(devTokenBody)) body: z.infer<typeof devTokenBody>): Promise<{ token: string }> {
    const token = await this.jwt.signAsync(
      { sub: body.userId, name: body.name, role: body.role ?? 'member' },
      { algorithm: 'HS256', expiresIn: this.config.DEV_TOKEN_TTL_SECONDS },
    );
    return { token };
  }
}
