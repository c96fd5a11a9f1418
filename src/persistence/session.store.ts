import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ArrayContains, DataSource } from 'typeorm';
import type { SessionDirectory, SessionInfo } from '../calls/session-controls';
import type { SessionRecord, SessionStore } from '../sessions/ports';
import { CallEventEntity } from './entities/call-event.entity';
import { CallSessionEntity } from './entities/call-session.entity';
import { SessionGuestEntity } from './entities/session-guest.entity';
import { TherapySessionEntity } from './entities/therapy-session.entity';

@Injectable()
export class TypeOrmSessionStore implements SessionStore, SessionDirectory {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(s: SessionRecord): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.insert(CallSessionEntity, {
        id: s.callId,
        initiatorId: s.createdBy,
        media: 'video',
        kind: 'session',
        conversationId: null,
        status: 'initiated',
        endReason: null,
        answeredAt: null,
        endedAt: null,
        durationSeconds: null,
        ownerId: null,
      });
      await m.insert(TherapySessionEntity, s);
    });
  }

  async find(id: string): Promise<SessionRecord | null> {
    return this.db.getRepository(TherapySessionEntity).findOne({ where: { id } });
  }

  async list(q: { hostId?: string }): Promise<SessionRecord[]> {
    return this.db.getRepository(TherapySessionEntity).find({
      where: q.hostId ? { hostIds: ArrayContains([q.hostId]) } : {},
      order: { startsAt: 'ASC' },
      take: 200,
    });
  }

  async update(id: string, patch: Partial<SessionRecord>): Promise<void> {
    await this.db.getRepository(TherapySessionEntity).update({ id }, patch);
  }

  async cancel(id: string, actorId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const s = await m.findOne(TherapySessionEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!s || s.status !== 'scheduled') return;
      const now = new Date();
      await m.update(TherapySessionEntity, { id }, { status: 'cancelled', inviteVersion: s.inviteVersion + 1 });
      const call = await m.findOne(CallSessionEntity, { where: { id: s.callId } });
      if (call && call.status !== 'ended') {
        await m.update(CallSessionEntity, { id: s.callId }, { status: 'ended', endReason: 'cancelled', endedAt: now, durationSeconds: 0 });
        await m.insert(CallEventEntity, { callId: s.callId, at: now, subject: 'call', userId: null, fromState: call.status, toState: 'ended', reason: 'cancelled', actorId });
      }
    });
  }

  async byCallId(callId: string): Promise<SessionInfo | null> {
    const s = await this.db.getRepository(TherapySessionEntity).findOne({ where: { callId } });
    if (!s) return null;
    const call = await this.db.getRepository(CallSessionEntity).findOne({ where: { id: callId } });
    return { ...s, sessionId: s.id, callStatus: (call?.status as SessionInfo['callStatus'] | undefined) ?? 'initiated', answeredAt: call?.answeredAt ?? null };
  }

  async setLocked(sessionId: string, locked: boolean): Promise<void> {
    await this.db.getRepository(TherapySessionEntity).update({ id: sessionId }, { locked });
  }

  async setDuration(sessionId: string, durationMinutes: number): Promise<void> {
    await this.db.getRepository(TherapySessionEntity).update({ id: sessionId }, { durationMinutes });
  }

  async markEnded(sessionId: string): Promise<void> {
    await this.db.getRepository(TherapySessionEntity).update({ id: sessionId, status: 'scheduled' }, { status: 'ended' });
  }

  async addGuest(g: { id: string; sessionId: string; name: string; invitedAs: string | null }): Promise<void> {
    await this.db.getRepository(SessionGuestEntity).insert(g);
  }
}
