import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { CallLogWriter } from '../calls/call-log-writer';
import { CallRouting } from '../cluster/call-routing';
import { endOf } from '../calls/session-controls';
import { CALL_LOG_STORE, type CallEventEntry, type CallLogStore, type Identity } from '../calls/ports';
import { forbidden, invalidState, notFound } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { InviteResponse, InviteView, ScheduledSession, ScheduleSessionRequest, SessionView } from '../signaling/rest-contract';
import { InviteService, type InviteInput, type guestTokenInput } from './invites.service';
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
export type SessionInput = z.infer<typeof sessionInput>;
// The contract's request body is what this schema takes (the client sends ScheduleSessionRequest).
export const SCHEDULE_REQUEST_MATCHES: ScheduleSessionRequest extends z.input<typeof sessionInput> ? true : never = true;
export type SessionPatch = z.infer<typeof sessionPatch>;

export type { SessionView } from '../signaling/rest-contract';

/** Scheduling, invite links and guest identities for group sessions. A session is a call with hosts. */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('Sessions');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    private readonly writer: CallLogWriter,
    private readonly invites: InviteService,
    private readonly live: CallRouting,
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
      blockedIds: [],
      createdBy: who.userId,
    };
    await this.store.create(record);
    this.logger.log({ sessionId: record.id, callId: record.callId, userId: who.userId }, 'session scheduled');
    return { ...view(record), inviteUrl: (await this.invites.issue(record, who, {})).inviteUrl };
  }

  async list(who: Identity): Promise<SessionView[]> {
    if (who.role === 'admin') return (await this.store.list({})).map(view);
    return (await this.store.list({ hostId: who.userId })).map(view);
  }

  async get(who: Identity, id: string): Promise<SessionView> {
    return view(await this.hosted(who, id));
  }

  /** Changes the row, and a live session at once (hosts, waiting room, size, lock, clock). */
  async update(who: Identity, id: string, patch: SessionPatch): Promise<SessionView> {
    const s = await this.hosted(who, id);
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    const changes = { ...patch, ...(patch.hostIds ? { hostIds: [...new Set(patch.hostIds)] } : {}) };
    await this.store.update(id, changes);
    const next = { ...s, ...changes };
    const { hostIds, lobby, maxParticipants, locked, startsAt, durationMinutes, inviteVersion } = next;
    await this.live.run('session:apply', who, { callId: s.callId, changes: { hostIds, lobby, maxParticipants, locked, startsAt, durationMinutes, inviteVersion } });
    return view(next);
  }

  /** Cancels it: a live session ends for everyone now (`cancelled`), and every invite stops working. */
  async cancel(who: Identity, id: string): Promise<void> {
    const s = await this.hosted(who, id);
    if (s.status !== 'scheduled') throw invalidState(`session is ${s.status}`);
    await this.live.run('session:cancel', who, { callId: s.callId });
    await this.store.cancel(id, who.userId);
    this.logger.log({ sessionId: id, userId: who.userId }, 'session cancelled');
  }

  async invite(who: Identity, id: string, opts: InviteInput): Promise<InviteResponse> {
    return this.invites.issue(await this.hosted(who, id), who, opts);
  }

  async listInvites(who: Identity, id: string): Promise<InviteView[]> {
    return this.invites.list(await this.hosted(who, id));
  }

  async revokeInvite(who: Identity, id: string, inviteId: string): Promise<{ removed: number }> {
    return this.invites.revoke(await this.hosted(who, id), who, inviteId);
  }

  /** Exchanges a valid invite for a token good for this session only. */
  guestToken(id: string, input: z.infer<typeof guestTokenInput>) {
    return this.invites.exchange(id, input);
  }

  private async hosted(who: Identity, id: string): Promise<SessionRecord> {
    const s = await this.store.find(id);
    // Someone who is neither a host of it nor an admin does not learn that it exists.
    if (!s || (who.role !== 'admin' && !s.hostIds.includes(who.userId))) throw notFound('session');
    return s;
  }
}

function view(s: SessionRecord): SessionView {
  const { inviteVersion: _v, blockedIds: _b, ...rest } = s;
  return { sessionId: s.id, ...rest, endsAt: endOf(s) };
}
