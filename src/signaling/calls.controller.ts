import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { CallHistoryService } from '../calls/call-history.service';
import { CallService } from '../calls/call.service';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { schemas, userIdSchema } from './payload-schemas';
import { JwtAuthGuard, type AuthedRequest } from './jwt-auth.guard';

const historyQuery = z.object({
  userId: userIdSchema.optional(),
  conversationId: z.string().trim().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

@Controller('api/calls')
@UseGuards(JwtAuthGuard)
export class CallsController {
  constructor(
    private readonly calls: CallService,
    private readonly history: CallHistoryService,
  ) {}

  /** Call logs, newest first. Members read their own; admins anyone's. */
  @Get('history')
  list(@Req() req: AuthedRequest, @Query(new ZodValidationPipe(historyQuery)) q: z.infer<typeof historyQuery>) {
    return this.history.history(req.user, q);
  }

  /** One call with its participants and its full event log. */
  @Get(':callId')
  one(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }) {
    return this.history.one(req.user, p.callId);
  }

  /** Ends a call exactly as `call:end` does. */
  @Post(':callId/end')
  @HttpCode(200)
  end(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }): Record<string, never> {
    this.calls.end(req.user, p.callId);
    return {};
  }
}
