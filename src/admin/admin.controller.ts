import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOperation, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { RouteLimit } from '../limits/http-rate-limit';
import { AdminGuard } from '../signaling/admin.guard';
import type { AuthedRequest } from '../signaling/jwt-auth.guard';
import { schemas } from '../signaling/payload-schemas';
import type { AuditPage } from '../audit/audit.port';
import type { AdminNode, NodeDrainResult } from '../signaling/rest-contract';
import { OperationsService } from './operations.service';

const drainQuery = z.object({ migrate: z.enum(['true', 'false']).default('false') });
const nodeRef = z.object({ nodeId: z.string().uuid() });
const MAX_CURSOR = 2n ** 63n - 1n;
const auditQuery = z.object({
  // A cursor is an entry id: a positive bigint.
  before: z
    .string()
    .refine((v) => /^[1-9]\d{0,18}$/.test(v) && BigInt(v) <= MAX_CURSOR, 'before must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

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
  @RouteLimit('adminActions', 'user')
  @ApiOperation({ summary: 'Start one more media worker; new calls can land on it at once' })
  addWorker(@Req() req: AuthedRequest) {
    return this.ops.addWorker(req.user);
  }

  @Post('workers/:pid/drain')
  @RouteLimit('adminActions', 'user')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drain a worker: no new calls; it retires once its calls end, or at once with migrate=true (calls move, clients reconnect media)' })
  @ApiQuery({ name: 'migrate', required: false, enum: ['true', 'false'] })
  drain(@Req() req: AuthedRequest, @Param('pid', ParseIntPipe) pid: number, @Query(new ZodValidationPipe(drainQuery)) q: z.infer<typeof drainQuery>) {
    return this.ops.drainWorker(req.user, pid, q.migrate === 'true');
  }

  @Get('calls')
  @ApiOperation({ summary: 'Live calls of every node, with their participants, the node hosting them and the worker hosting their media' })
  calls() {
    return this.ops.liveCalls();
  }

  @Post('calls/:callId/end')
  @RouteLimit('adminActions', 'user')
  @HttpCode(200)
  @ApiOperation({ summary: 'Force-end a call for everyone (reason force_ended)' })
  async end(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(schemas.callRef)) p: { callId: string }): Promise<Record<string, never>> {
    await this.ops.endCall(req.user, p.callId);
    return {};
  }

  @Get('nodes')
  @ApiOperation({ summary: 'Gateway nodes sharing this Redis: media address, workers, calls, seated people, serving or draining, last heartbeat' })
  nodes(): AdminNode[] {
    return this.ops.nodes();
  }

  @Post('nodes/:nodeId/drain')
  @RouteLimit('adminActions', 'user')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drain a node: it takes no new calls and its calls move to other nodes (participants reconnect media; no call ends)' })
  drainNode(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(nodeRef)) p: z.infer<typeof nodeRef>): Promise<NodeDrainResult> {
    return this.ops.drainNode(req.user, p.nodeId);
  }

  @Get('audit')
  @ApiOperation({ summary: 'The operator audit log, newest first: actor, action, target, time, outcome; page on with before=nextCursor' })
  @ApiQuery({ name: 'before', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  audit(@Query(new ZodValidationPipe(auditQuery)) q: z.infer<typeof auditQuery>): Promise<AuditPage> {
    return this.ops.auditLog(q);
  }
}
