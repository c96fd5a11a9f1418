import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import { CallLogWriter } from '../calls/call-log-writer';
import { CALL_LOG_STORE, type CallEventEntry, type CallLogStore, type Identity } from '../calls/ports';
import { DomainError, forbidden, invalidState, notFound } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { GuestTokenResponse, InviteResponse, ScheduledSession, SessionView } from '../signaling/rest-contract';
import { SESSION_STORE, type SessionRecord, type SessionStore } from './ports';

export const sessionInput = z.object({
  title: z.string().trim().min(1).max(200),
  hostIds: z.array(z.string().trim().min(1).max(128)).min(1).max(10).optional(),
  startsAt: z.coerce.date(),
  durationMinutes: z.number().int().min(5).max(480),
  lobby: z.boolean().default(true),
  maxParticipants: z.number().int().min(2).max(50).default(12),
});
export const sessionPatch = sessionInput.partial().extend({ locked: z.boolean().optional() });
export const inviteInput = z.object({
  /** A per-participant invite names who it is for; without it the invite is shared. */
  forUserId: z.string().trim().min(1).max(128).optional(),
  expiresInSeconds: z.number().int().min(1).max(30 * 86400).optional(),
});
export const guestTokenInput = z.object({ invite: z.string().min(10).max(4096), name: z.string().trim().min(1).max(80) });

export type SessionInput = z.infer<typeof sessionInput>;
export type SessionPatch = z.infer<typeof sessionPatch>;

const inviteClaims = z.object({ typ: z.literal('invite'), sid: z.string().uuid(), v: z.number().int(), sub: z.string().optional() });

export type { SessionView } from '../signaling/rest-contract';

/** Scheduling, invite links and guest identities for group sessions. A session is a call with hosts. */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('Sessions');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    private readonly jwt: JwtService,
    private readonly writer: CallLogWriter,
  ) {}

  /** Every admission, denial, removal, mute, lock, extension and end, with actor and time. */
  async audit(who: Identity, id: string): Promise<{ sessionId: string; callId: string; events: CallEventEntry[] }> {
    const s = await this.hosted(who, id);
    await this.writer.flush(); // what was acked is on record
    const call = await this.log.find(s.callId);
    return { sessionId: s.id, callId: s.callId, events: call?.events ?? [] };
  }

  async create(who: Identity, input: SessionInput): Promise<ScheduledSession> {
    if (who.role !== 'host' && who.role !== 'admin') throw forbidden('Only hosts and admins schedule sessions');
    const record: SessionRecord = {
      id: randomUUID(),
      callId: randomUUID(),
      title: input.title,
      hostIds: [...new Set(input.hostIds ?? [who.userId])],
      startsAt: input.startsAt,
      durationMinutes: input.durationMinutes,
      lobby: input.lobby,
      maxParticipants: input.maxParticipants,
      locked: false,
      status: 'scheduled',
      inviteVersion: 1,
      createdBy: who.userId,
    };
    await this.store.create(record);
    this.logger.log({ sessionId: record.id, callId: record.callId, userId: who.userId }, 'session scheduled');
    return { ...view(record), inviteUrl: await this.inviteUrl(record, {}) };
  }

  async list(who: Identity): Promise<SessionView[]> {
    if (who.role === 'admin') return (await this.store.list({})).map(view);
    return (await this.store.list({ hostId: who.userId })).map(view);
  }

  async get(who: Identity, id: string): Promise<SessionView> {
    return view(await this.hosted(who, id));
  }

  async update(who: Identity, id: string, patch: SessionPatch): Promise<SessionView> {
    const s = await this.hosted(who, id);
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    const changes = { ...patch, ...(patch.hostIds ? { hostIds: [...new Set(patch.hostIds)] } : {}) };
    await this.store.update(id, changes);
    return view({ ...s, ...changes });
  }

  async cancel(who: Identity, id: string): Promise<void> {
    const s = await this.hosted(who, id);
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    await this.store.cancel(id, who.userId);
    this.logger.log({ sessionId: id, userId: who.userId }, 'session cancelled');
  }

  async invite(who: Identity, id: string, opts: z.infer<typeof inviteInput>): Promise<InviteResponse> {
    const s = await this.hosted(who, id);
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    const invite = await this.signInvite(s, opts);
    return { invite: invite.token, inviteUrl: this.urlFor(s, invite.token), expiresAt: invite.expiresAt };
  }

  /** Exchanges a valid invite for a token good for this session only. */
  async guestToken(id: string, input: z.infer<typeof guestTokenInput>): Promise<GuestTokenResponse> {
    let claims: z.infer<typeof inviteClaims>;
    try {
      claims = inviteClaims.parse(await this.jwt.verifyAsync(input.invite, { algorithms: ['HS256'] }));
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new DomainError('UNAUTHORIZED', expired ? 'invite expired' : 'invalid invite');
    }
    const s = await this.store.find(id);
    if (!s || claims.sid !== id) throw new DomainError('UNAUTHORIZED', 'invalid invite');
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    if (claims.v !== s.inviteVersion) throw new DomainError('UNAUTHORIZED', 'invite revoked');
    const userId = `guest-${randomUUID()}`;
    await this.store.addGuest({ id: userId, sessionId: id, name: input.name, invitedAs: claims.sub ?? null });
    const endsAt = endOf(s);
    const token = await this.jwt.signAsync(
      { sub: userId, name: input.name, role: 'member', sid: s.id, cid: s.callId },
      { algorithm: 'HS256', expiresIn: Math.max(60, Math.ceil((endsAt.getTime() - Date.now()) / 1000) + 3600) },
    );
    this.logger.log({ sessionId: id, userId }, 'guest admitted to the session link');
    return { token, userId, callId: s.callId };
  }

  private async hosted(who: Identity, id: string): Promise<SessionRecord> {
    const s = await this.store.find(id);
    // Someone who is neither a host of it nor an admin does not learn that it exists.
    if (!s || (who.role !== 'admin' && !s.hostIds.includes(who.userId))) throw notFound('session');
    return s;
  }

  private async signInvite(s: SessionRecord, opts: z.infer<typeof inviteInput>): Promise<{ token: string; expiresAt: Date }> {
    const untilEnd = Math.ceil((endOf(s).getTime() - Date.now()) / 1000);
    const ttl = Math.max(1, opts.expiresInSeconds ?? untilEnd);
    const token = await this.jwt.signAsync(
      { typ: 'invite', sid: s.id, v: s.inviteVersion, ...(opts.forUserId ? { sub: opts.forUserId } : {}) },
      { algorithm: 'HS256', expiresIn: ttl },
    );
    return { token, expiresAt: new Date(Date.now() + ttl * 1000) };
  }

  private async inviteUrl(s: SessionRecord, opts: z.infer<typeof inviteInput>): Promise<string> {
    return this.urlFor(s, (await this.signInvite(s, opts)).token);
  }

  private urlFor(s: SessionRecord, token: string): string {
    const base = this.config.PUBLIC_URL ?? `${this.config.TLS_CERT_FILE ? 'https' : 'http'}://localhost:${this.config.PORT}`;
    return `${base.replace(/\/$/, '')}/?session=${s.id}&invite=${encodeURIComponent(token)}`;
  }
}

const endOf = (s: SessionRecord) => new Date(s.startsAt.getTime() + s.durationMinutes * 60_000);

function view(s: SessionRecord): SessionView {
  const { inviteVersion: _v, ...rest } = s;
  return { sessionId: s.id, ...rest, endsAt: endOf(s) };
}
