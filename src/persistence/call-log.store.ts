import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, MoreThan, Not, type EntityManager } from 'typeorm';
import { CALL_STATUSES } from '../calls/call-states';
import { TherapySessionEntity } from './entities/therapy-session.entity';
import type { CallEventEntry, CallHistoryEntry, CallLogStore, CallRecord, OpenCall } from '../calls/ports';
import { CallEventEntity } from './entities/call-event.entity';
import { CallParticipantEntity } from './entities/call-participant.entity';
import { CallSessionEntity } from './entities/call-session.entity';
import { GatewayInstanceEntity } from './entities/gateway-instance.entity';

/** Call sessions, participants and the append-only event log, written as one transaction per change. */
@Injectable()
export class TypeOrmCallLogStore implements CallLogStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async save(call: CallRecord, ownerId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      // A call's status only moves forward, here too: a late or stale write never reopens an
      // ended call (nor takes an answered one back to ringing).
      await m.query(
        `INSERT INTO "call_sessions" ("id", "initiator_id", "media", "conversation_id", "status", "end_reason", "created_at", "answered_at", "ended_at", "duration_seconds", "owner_id")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT ("id") DO UPDATE SET
           "status" = EXCLUDED."status", "end_reason" = EXCLUDED."end_reason", "answered_at" = COALESCE("call_sessions"."answered_at", EXCLUDED."answered_at"),
           "ended_at" = EXCLUDED."ended_at", "duration_seconds" = EXCLUDED."duration_seconds", "owner_id" = EXCLUDED."owner_id"
         WHERE array_position($12::varchar[], "call_sessions"."status") <= array_position($12::varchar[], EXCLUDED."status")
           AND NOT ("call_sessions"."status" = 'ended' AND EXCLUDED."status" = 'ended' AND "call_sessions"."end_reason" IS DISTINCT FROM EXCLUDED."end_reason")`,
        [call.id, call.initiatorId, call.media, call.conversationId, call.status, call.endReason, call.createdAt, call.answeredAt, call.endedAt, call.durationSeconds, call.status === 'ended' || call.suspended ? null : ownerId, CALL_STATUSES],
      );
      if (call.participants.length) {
        await m.upsert(CallParticipantEntity, call.participants.map((p) => ({ callId: call.id, ...p })), ['callId', 'userId']);
      }
      await this.appendEvents(m, call.id, call.events);
    });
  }

  private async appendEvents(m: EntityManager, callId: string, events: CallEventEntry[]): Promise<void> {
    if (!events.length) return;
    await m.insert(
      CallEventEntity,
      events.map((e) => ({ callId, at: e.at, subject: e.subject, userId: e.userId, fromState: e.from, toState: e.to, reason: e.reason, actorId: e.actorId })),
    );
  }

  async history(q: { userId?: string; conversationId?: string; limit: number }): Promise<CallHistoryEntry[]> {
    const qb = this.db
      .getRepository(CallSessionEntity)
      .createQueryBuilder('c')
      .orderBy('c.created_at', 'DESC')
      .limit(q.limit);
    // A person's history holds the calls they were rung for, placed, hosted or admitted to: not a session they only knocked at.
    if (q.userId) {
      qb.andWhere(
        "EXISTS (SELECT 1 FROM call_participants p WHERE p.call_id = c.id AND p.user_id = :userId AND (p.role IN ('initiator', 'callee', 'host') OR p.joined_at IS NOT NULL))",
        { userId: q.userId },
      );
    }
    if (q.conversationId) qb.andWhere('c.conversation_id = :conversationId', { conversationId: q.conversationId });
    const calls = await qb.getMany();
    if (!calls.length) return [];
    const parts = await this.db.getRepository(CallParticipantEntity).find({ where: calls.map((c) => ({ callId: c.id })) });
    return calls.map((c) => toEntry(c, parts.filter((p) => p.callId === c.id)));
  }

  async find(callId: string): Promise<(CallHistoryEntry & { events: CallEventEntry[] }) | null> {
    const call = await this.db.getRepository(CallSessionEntity).findOne({ where: { id: callId }, relations: { participants: true } });
    if (!call) return null;
    const events = await this.db.getRepository(CallEventEntity).find({ where: { callId }, order: { id: 'ASC' } });
    return {
      ...toEntry(call, call.participants),
      events: events.map((e) => ({ at: e.at, subject: e.subject, userId: e.userId, from: e.fromState, to: e.toState, reason: e.reason, actorId: e.actorId })),
    };
  }

  async openCalls(): Promise<OpenCall[]> {
    // A scheduled session's call waits in `initiated` by design; its lifecycle is the session's.
    const calls = (await this.db.getRepository(CallSessionEntity).find({ where: { status: Not('ended') }, relations: { participants: true } })).filter(
      (c) => !(c.kind === 'session' && c.status === 'initiated'),
    );
    const sessions = await this.db.getRepository(TherapySessionEntity).find({ where: { callId: In(calls.map((c) => c.id)), status: 'scheduled' } });
    const endsAt = new Map(sessions.map((s) => [s.callId, new Date(s.startsAt.getTime() + s.durationMinutes * 60_000)]));
    return calls.map((c) => ({ callId: c.id, ownerId: c.ownerId, status: c.status, participantIds: c.participants.map((p) => p.userId), sessionEndsAt: endsAt.get(c.id) ?? null }));
  }

  /**
   * A session call whose gateway died (or stopped): its people are gone and its owner is
   * cleared, but the call stays open so a host can resume the session until its end.
   */
  async suspendOrphan(callId: string, reason: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const call = await m.getRepository(CallSessionEntity).findOne({ where: { id: callId }, lock: { mode: 'pessimistic_write' } });
      if (!call || call.status === 'ended') return false;
      const now = await this.lastSeenOf(m, call.ownerId);
      const open = await m.find(CallParticipantEntity, { where: { callId, state: Not('left') } });
      await m.update(CallParticipantEntity, { callId, state: Not('left') }, { state: 'left', leftAt: now, leaveReason: 'connection_lost', audioEnabled: false, videoEnabled: false });
      await m.update(CallSessionEntity, { id: callId }, { ownerId: null });
      await this.appendEvents(m, callId, [
        ...open.map((p) => ({ at: now, subject: 'participant' as const, userId: p.userId, from: p.state, to: 'left', reason: 'connection_lost', actorId: null })),
        { at: now, subject: 'control', userId: null, from: '', to: 'suspend', reason, actorId: null },
      ]);
      return true;
    });
  }

  /** When a dead gateway was last heard of (its calls died then), or now. */
  private async lastSeenOf(m: EntityManager, ownerId: string | null): Promise<Date> {
    if (!ownerId) return new Date();
    const owner = await m.findOne(GatewayInstanceEntity, { where: { id: ownerId } });
    return owner?.lastSeenAt ?? new Date();
  }

  async endOrphan(callId: string, reason: 'failed' | 'missed' | 'time_limit' | 'node_lost'): Promise<{ durationSeconds: number } | null> {
    return this.db.transaction(async (m) => {
      const call = await m.getRepository(CallSessionEntity).findOne({ where: { id: callId }, lock: { mode: 'pessimistic_write' } });
      if (!call || call.status === 'ended') return null;
      // It died with its gateway: the end (and so the duration) is when that gateway was last alive.
      const now = await this.lastSeenOf(m, call.ownerId);
      const duration = call.answeredAt ? Math.max(0, Math.round((now.getTime() - call.answeredAt.getTime()) / 1000)) : 0;
      await m.update(CallSessionEntity, { id: callId }, { status: 'ended', endReason: reason, endedAt: now, durationSeconds: duration, ownerId: null });
      // A session whose call is over is over too (a call never goes back from ended).
      await m.query(`UPDATE "sessions" SET "status" = 'ended' WHERE "call_id" = $1 AND "status" = 'scheduled'`, [callId]);
      const open = await m.find(CallParticipantEntity, { where: { callId, state: Not('left') } });
      await m.update(CallParticipantEntity, { callId, state: Not('left') }, { state: 'left', leftAt: now, leaveReason: 'call_ended', audioEnabled: false, videoEnabled: false });
      await this.appendEvents(m, callId, [
        { at: now, subject: 'call', userId: null, from: call.status, to: 'ended', reason, actorId: null },
        ...open.map((p) => ({ at: now, subject: 'participant' as const, userId: p.userId, from: p.state, to: 'left', reason: 'call_ended', actorId: null })),
      ]);
      return { durationSeconds: duration };
    });
  }

  async heartbeat(instanceId: string): Promise<void> {
    const now = new Date();
    await this.db
      .createQueryBuilder()
      .insert()
      .into(GatewayInstanceEntity)
      .values({ id: instanceId, startedAt: now, lastSeenAt: now })
      .orUpdate(['last_seen_at'], ['id'])
      .execute();
  }

  async retire(instanceId: string): Promise<void> {
    await this.db.getRepository(GatewayInstanceEntity).delete({ id: instanceId });
  }

  async liveInstanceIds(seenWithinMs: number): Promise<string[]> {
    const rows = await this.db.getRepository(GatewayInstanceEntity).find({ where: { lastSeenAt: MoreThan(new Date(Date.now() - seenWithinMs)) } });
    return rows.map((r) => r.id);
  }
}

function toEntry(c: CallSessionEntity, parts: CallParticipantEntity[]): CallHistoryEntry {
  return {
    callId: c.id,
    conversationId: c.conversationId,
    initiatorId: c.initiatorId,
    media: c.media,
    status: c.status,
    reason: c.endReason,
    startedAt: c.createdAt,
    answeredAt: c.answeredAt,
    endedAt: c.endedAt,
    durationSeconds: c.durationSeconds,
    participants: parts.map((p) => ({
      userId: p.userId,
      role: p.role,
      joinedAt: p.joinedAt,
      leftAt: p.leftAt,
      leaveReason: p.leaveReason,
      audioEnabled: p.audioEnabled,
      videoEnabled: p.videoEnabled,
    })),
  };
}
