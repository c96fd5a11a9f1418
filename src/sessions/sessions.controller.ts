import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { RouteLimit } from '../limits/http-rate-limit';
import { RateLimits } from '../limits/rate-limits';
import { DomainError } from '../common/domain-error';
import type { Request } from 'express';
import { JwtAuthGuard, type AuthedRequest } from '../signaling/jwt-auth.guard';
import { guestTokenInput, inviteInput } from './invites.service';
import { SessionService, sessionInput, sessionPatch, type SessionInput, type SessionPatch } from './session.service';

const sessionRef = z.object({ sessionId: z.string().uuid() });
const inviteRef = sessionRef.extend({ inviteId: z.string().uuid() });

@ApiTags('sessions')
@Controller('api/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionService,
    private readonly limits: RateLimits,
  ) {}

  @Post()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Schedule a session (host or admin): returns sessionId, callId and a shared inviteUrl' })
  create(@Req() req: AuthedRequest, @Body(new ZodValidationPipe(sessionInput)) body: SessionInput) {
    return this.sessions.create(req.user, body);
  }

  @Get()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Sessions you host (admins: all)' })
  list(@Req() req: AuthedRequest) {
    return this.sessions.list(req.user);
  }

  @Get(':sessionId')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One session (its hosts and admins)' })
  get(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>) {
    return this.sessions.get(req.user, p.sessionId);
  }

  @Get(':sessionId/audit')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The session\'s audit trail: admissions, denials, removals, mutes, locks, extensions and the end, with actor and time (hosts and admins)' })
  audit(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>) {
    return this.sessions.audit(req.user, p.sessionId);
  }

  @Patch(':sessionId')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change title, hosts, start, duration, lobby, max participants or lock' })
  update(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>, @Body(new ZodValidationPipe(sessionPatch)) body: SessionPatch) {
    return this.sessions.update(req.user, p.sessionId, body);
  }

  @Post(':sessionId/cancel')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Cancel a scheduled session; every invite issued for it stops working' })
  async cancel(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>): Promise<Record<string, never>> {
    await this.sessions.cancel(req.user, p.sessionId);
    return {};
  }

  @Post(':sessionId/invites')
  @RouteLimit('inviteCreate', 'user')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Issue an invite link: shared, or for one participant (forUserId); expires at the session end or after expiresInSeconds' })
  invite(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>, @Body(new ZodValidationPipe(inviteInput)) body: z.infer<typeof inviteInput>) {
    return this.sessions.invite(req.user, p.sessionId, body);
  }

  @Get(':sessionId/invites')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Every invite of the session, newest first, with its state: active, used, closed, revoked or expired (hosts and admins)' })
  invites(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>) {
    return this.sessions.listInvites(req.user, p.sessionId);
  }

  @Delete(':sessionId/invites/:inviteId')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke an invite: no exchange and no join with it any more; guests who came with it leave the live session (hosts and admins)' })
  revokeInvite(@Req() req: AuthedRequest, @Param(new ZodValidationPipe(inviteRef)) p: z.infer<typeof inviteRef>) {
    return this.sessions.revokeInvite(req.user, p.sessionId, p.inviteId);
  }

  /** No bearer token: the signed invite is the credential. */
  @Post(':sessionId/guest-token')
  @ApiOperation({ summary: 'Exchange an invite and a display name for a token limited to this session (refused exchanges are limited per address: RATE_GUEST_EXCHANGE)' })
  async guestToken(@Req() req: Request, @Param(new ZodValidationPipe(sessionRef)) p: z.infer<typeof sessionRef>, @Body(new ZodValidationPipe(guestTokenInput)) body: z.infer<typeof guestTokenInput>) {
    // Guessing invites costs: past RATE_GUEST_EXCHANGE refusals, the address gets nothing until the window ends.
    const address = req.ip ?? 'unknown';
    await this.limits.assertUnder('guestExchange', address);
    try {
      return await this.sessions.guestToken(p.sessionId, body);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'UNAUTHORIZED') await this.limits.consume('guestExchange', address).catch(() => undefined);
      throw err;
    }
  }
}
