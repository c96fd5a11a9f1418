import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import { OperatorAudit } from '../audit/operator-audit';
import { CallRouting } from '../cluster/call-routing';
import { endOf } from '../calls/session-controls';
import type { Identity } from '../calls/ports';
import { DomainError, invalidState, notFound } from '../common/domain-error';
import { normalizeDisplayName } from '../common/display-name';
import { tokenKey } from '../common/token-keys';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { GuestTokenRequest, GuestTokenResponse, InviteRequest, InviteResponse, InviteView } from '../signaling/rest-contract';
import { INVITE_STORE, SESSION_STORE, type InviteRecord, type InviteStore, type SessionRecord, type SessionStore } from './ports';

export const inviteInput = z.object({
  /** A per-participant invite names who it is for; it then takes one exchange. Without it the invite is shared. */
  forUserId: z.string().trim().min(1).max(128).optional(),
  expiresInSeconds: z.number().int().min(1).max(30 * 86400).optional(),
});
export const guestTokenInput = z.object({
  invite: z.string().min(10).max(4096),
  // As others will see it: normalised, no invisible characters, at most 80 characters.
  name: z.string().max(400).transform(normalizeDisplayName).pipe(z.string().min(1, 'name: enter a name')),
});
export type InviteInput = z.infer<typeof inviteInput>;
// The contract's request bodies are what these schemas take.
export const INVITE_REQUESTS_MATCH: [InviteRequest, GuestTokenRequest] extends [z.input<typeof inviteInput>, z.input<typeof guestTokenInput>] ? true : never = true;

const inviteClaims = z.object({ typ: z.literal('invite'), sid: z.string().uuid(), iid: z.string().uuid(), v: z.number().int() });

/**
 * Invite links and the guest identities they give. Every invite is a row (listed, revoked,
 * single-use when it is for one person) and a token under the invite key; the guest token
 * an exchange returns names the invite, and every join checks that it still admits.
 */
@Injectable()
export class InviteService {
  private readonly logger = new Logger('Sessions');
  private readonly inviteKey: string;
  private readonly guestKey: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SESSION_STORE) private readonly sessions: SessionStore,
    @Inject(INVITE_STORE) private readonly invites: InviteStore,
    private readonly jwt: JwtService,
    private readonly live: CallRouting,
    private readonly audit: OperatorAudit,
  ) {
    this.inviteKey = tokenKey(config.JWT_SECRET, 'invite');
    this.guestKey = tokenKey(config.JWT_SECRET, 'guest');
  }

  async issue(s: SessionRecord, who: Identity, opts: InviteInput): Promise<InviteResponse> {
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    const untilEnd = Math.ceil((endOf(s).getTime() - Date.now()) / 1000);
    const ttl = Math.max(1, opts.expiresInSeconds ?? untilEnd);
    const inviteId = randomUUID();
    const expiresAt = new Date(Date.now() + ttl * 1000);
    await this.invites.create({ id: inviteId, sessionId: s.id, forUserId: opts.forUserId ?? null, createdBy: who.userId, expiresAt });
    const invite = await this.jwt.signAsync({ typ: 'invite', sid: s.id, iid: inviteId, v: s.inviteVersion }, { secret: this.inviteKey, algorithm: 'HS256', expiresIn: ttl });
    return { inviteId, invite, inviteUrl: this.urlFor(s, invite), expiresAt };
  }

  async list(s: SessionRecord): Promise<InviteView[]> {
    return (await this.invites.list(s.id)).map(inviteView);
  }

  /** Nobody gets in with it any more; whoever came with it leaves the live call now. */
  async revoke(s: SessionRecord, who: Identity, inviteId: string): Promise<{ removed: number }> {
    return this.audit.track(
      who,
      'invite.revoke',
      inviteId,
      async () => {
        const found = await this.invites.find(inviteId);
        if (!found || found.sessionId !== s.id) throw notFound('invite');
        await this.invites.revoke(s.id, inviteId, who.userId);
        const removed = await this.live.run<number>('session:invite-revoked', who, { callId: s.callId, inviteId });
        this.logger.log({ sessionId: s.id, inviteId, userId: who.userId, removed }, 'invite revoked');
        return { removed };
      },
      ({ removed }) => ({ detail: { sessionId: s.id, removed } }),
    );
  }

  /** Exchanges a valid invite for a token good for this session only, tied to the invite. */
  async exchange(sessionId: string, input: z.infer<typeof guestTokenInput>): Promise<GuestTokenResponse> {
    let claims: z.infer<typeof inviteClaims>;
    try {
      claims = inviteClaims.parse(await this.jwt.verifyAsync(input.invite, { secret: this.inviteKey, algorithms: ['HS256'] }));
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new DomainError('UNAUTHORIZED', expired ? 'invite expired' : 'invalid invite');
    }
    const s = await this.sessions.find(sessionId);
    if (!s || claims.sid !== sessionId) throw new DomainError('UNAUTHORIZED', 'invalid invite');
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    const invite = await this.invites.find(claims.iid);
    if (claims.v !== s.inviteVersion || !invite || invite.revokedAt) throw new DomainError('UNAUTHORIZED', 'invite revoked');
    const guestId = `guest-${randomUUID()}`;
    if (!(await this.invites.claim(invite.id, guestId))) {
      throw new DomainError('UNAUTHORIZED', invite.forUserId ? 'invite already used' : 'invite no longer admits new guests');
    }
    await this.sessions.addGuest({ id: guestId, sessionId, name: input.name, invitedAs: invite.forUserId, inviteId: invite.id });
    const token = await this.jwt.signAsync(
      { typ: 'guest', sub: guestId, name: input.name, role: 'member', sid: s.id, cid: s.callId, iid: invite.id, v: s.inviteVersion },
      { secret: this.guestKey, algorithm: 'HS256', expiresIn: Math.max(60, Math.ceil((endOf(s).getTime() - Date.now()) / 1000) + 3600) },
    );
    this.logger.log({ sessionId, userId: guestId, inviteId: invite.id }, 'guest admitted to the session link');
    return { token, userId: guestId, callId: s.callId };
  }

  private urlFor(s: SessionRecord, token: string): string {
    const base = this.config.PUBLIC_URL ?? `${this.config.TLS_CERT_FILE ? 'https' : 'http'}://localhost:${this.config.PORT}`;
    return `${base.replace(/\/$/, '')}/?session=${s.id}&invite=${encodeURIComponent(token)}`;
  }
}

function inviteView(i: InviteRecord): InviteView {
  const state: InviteView['state'] = i.revokedAt
    ? 'revoked'
    : i.forUserId && i.usedAt
      ? 'used'
      : i.closedAt
        ? 'closed'
        : i.expiresAt.getTime() <= Date.now()
          ? 'expired'
          : 'active';
  return { inviteId: i.id, forUserId: i.forUserId, createdBy: i.createdBy, createdAt: i.createdAt, expiresAt: i.expiresAt, usedAt: i.usedAt, state };
}
