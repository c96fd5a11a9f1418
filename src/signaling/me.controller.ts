import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MeResponse } from './catalogue';
import { JwtAuthGuard, type AuthedRequest } from './jwt-auth.guard';

/** Who a token names, as this server reads it: lets a client signed in by its embedding app show who it is. */
@ApiTags('identity')
@ApiBearerAuth()
@Controller('api/me')
@UseGuards(JwtAuthGuard)
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The identity the bearer token names (user id, display name, role; a guest token\'s session)' })
  me(@Req() req: AuthedRequest): MeResponse {
    const { userId, name, role, scope } = req.user;
    return { userId, name, role, ...(scope ? { sessionId: scope.sessionId, callId: scope.callId } : {}) };
  }
}
