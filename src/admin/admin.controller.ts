import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOperation, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { AdminGuard } from '../signaling/admin.guard';
import type { AuthedRequest } from '../signaling/jwt-auth.guard';
import { schemas } from '../signaling/payload-schemas';
import { OperationsService } from './operations.service';

const drainQuery = z.object({ migrate: z.enum(['true', 'false']).default('false') });

/** Operator API: admin role only (401 without a token, 403 for other roles). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'UNAUTHORIZED: missing, bad or expired token' })
@ApiForbiddenResponse({ description: 'FORBIDDEN: the token is not an admin' })
@Controller('api/admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(private readonly ops: OperationsService) {}

  @Get('workers')
  @ApiOperation({ summary: 'Media workers: pid, state, CPU (% of a core since the last read, and total), memory, routers, transports, producers, consumers' })
  workers() {
    return this.ops.workers();
  }

  @Post('workers')
  @ApiOperation({ summary: 'Start one more media worker; new calls can land on it at once' })
  addWorker() {
    return this.ops.addWorker();
  }

  @Post('workers/:pid/drain')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drain a worker: no new calls; it retires once its calls end, or at once with migrate=true (calls move, clients reconnect media)' })
  @ApiQuery({ name: 'migrate', required: false, enum: ['true', 'false'] })
  drain(@Param('pid', ParseIntPipe) pid: number, @Query(new ZodValidationPipe(drainQuery)) q: z.infer<typeof drainQuery>) {
    return this.ops.drainWorker(pid, q.migrate === 'true');
  }

  @Get('calls')
  @ApiOperation({ summary: 'Live calls with their participants and the worker hosting their media' })
  calls() {
    return this.ops.liveCalls();
  }

  @Post('calls/:callId/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'Force-end a call for everyone (reason force_ended)' })
  end(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }): Record<string, never> {
    this.ops.endCall(req.user, p.callId);
    return {};
  }
}
