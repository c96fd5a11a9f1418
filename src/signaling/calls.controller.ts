import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CallHistoryService } from '../calls/call-history.service';
import { CallRouting } from '../cluster/call-routing';
import { QualityService } from '../quality/quality.service';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { schemas, userIdSchema } from './payload-schemas';
import { JwtAuthGuard, type AuthedRequest } from './jwt-auth.guard';

const historyQuery = z.object({
  userId: userIdSchema.optional(),
  conversationId: z.string().trim().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

@ApiTags('calls')
@ApiBearerAuth()
@Controller('api/calls')
@UseGuards(JwtAuthGuard)
export class CallsController {
  constructor(
    private readonly routing: CallRouting,
    private readonly history: CallHistoryService,
    private readonly quality: QualityService,
  ) {}

  /** Call logs, newest first. Members read their own; admins anyone's. */
  @Get('history')
  @ApiOperation({ summary: 'Call logs, newest first (members: their own; admins: anyone\'s)' })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'conversationId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  list(@Req() req: AuthedRequest, @Query(new ZodValidationPipe(historyQuery)) q: z.infer<typeof historyQuery>) {
    return this.history.history(req.user, q);
  }

  @Get(':callId/quality')
  @ApiOperation({ summary: 'Per-participant quality summary: loss, jitter, RTT, bitrate, score min/avg, freezes (client-reported)' })
  qualitySummary(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }) {
    return this.quality.summary(req.user, p.callId);
  }

  /** One call with its participants and its full event log. */
  @Get(':callId')
  @ApiOperation({ summary: 'One call, its participants and its full event log (NOT_FOUND unless you were in it)' })
  one(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }) {
    return this.history.one(req.user, p.callId);
  }

  /** Ends a call exactly as `call:end` does. */
  @Post(':callId/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a call for everyone, exactly like call:end' })
  async end(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }): Promise<Record<string, never>> {
    await this.routing.run('call:end', req.user, { callId: p.callId });
    return {};
  }
}
