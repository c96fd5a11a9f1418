import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { CallService } from '../calls/call.service';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { schemas } from './catalogue';
import { JwtAuthGuard, type AuthedRequest } from './jwt-auth.guard';

@Controller('api/calls')
@UseGuards(JwtAuthGuard)
export class CallsController {
  constructor(private readonly calls: CallService) {}

  /** Ends a call exactly as `call:end` does. */
  @Post(':callId/end')
  @HttpCode(200)
  end(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }): Record<string, never> {
    this.calls.end(req.user, p.callId);
    return {};
  }
}
