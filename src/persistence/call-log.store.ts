import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CallLogStore, CallRecord } from '../calls/ports';
import { CallParticipantEntity } from './entities/call-participant.entity';
import { CallSessionEntity } from './entities/call-session.entity';

/** Call sessions and their participants, written as one transaction per state change. */
@Injectable()
export class TypeOrmCallLogStore implements CallLogStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async save(call: CallRecord): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.upsert(
        CallSessionEntity,
        {
          id: call.id,
          initiatorId: call.initiatorId,
          media: call.media,
          conversationId: call.conversationId,
          status: call.status,
          endReason: call.endReason,
          createdAt: call.createdAt,
          answeredAt: call.answeredAt,
          endedAt: call.endedAt,
          durationSeconds: call.durationSeconds,
        },
        ['id'],
      );
      if (call.participants.length) {
        await m.upsert(
          CallParticipantEntity,
          call.participants.map((p) => ({ callId: call.id, ...p })),
          ['callId', 'userId'],
        );
      }
    });
  }

  async find(callId: string): Promise<CallSessionEntity | null> {
    return this.db.getRepository(CallSessionEntity).findOne({ where: { id: callId }, relations: { participants: true } });
  }
}
