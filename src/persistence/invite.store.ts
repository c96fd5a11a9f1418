import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import type { SessionAdmissions } from '../calls/session-controls';
import type { InviteRecord, InviteStore } from '../sessions/ports';
import { SessionInviteEntity } from './entities/session-invite.entity';

@Injectable()
export class TypeOrmInviteStore implements InviteStore, SessionAdmissions {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get invites() {
    return this.db.getRepository(SessionInviteEntity);
  }

  async create(i: Pick<InviteRecord, 'id' | 'sessionId' | 'forUserId' | 'createdBy' | 'expiresAt'>): Promise<void> {
    await this.invites.insert(i);
  }

  find(id: string): Promise<InviteRecord | null> {
    return this.invites.findOne({ where: { id } });
  }

  list(sessionId: string): Promise<InviteRecord[]> {
    return this.invites.find({ where: { sessionId }, order: { createdAt: 'DESC' }, take: 500 });
  }

  async claim(id: string, guestId: string): Promise<boolean> {
    // A shared invite counts its latest exchange; a per-person one takes only the first.
    const r = await this.db.query(
      `UPDATE "session_invites" SET "used_at" = now(), "used_by" = $2
        WHERE "id" = $1 AND "revoked_at" IS NULL AND "closed_at" IS NULL AND "expires_at" > now()
          AND ("for_user_id" IS NULL OR "used_at" IS NULL)`,
      [id, guestId],
    );
    return (r[1] ?? 0) > 0;
  }

  async revoke(sessionId: string, id: string, actorId: string): Promise<boolean> {
    const r = await this.invites.update({ id, sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokedBy: actorId });
    return (r.affected ?? 0) > 0;
  }

  async inviteValid(inviteId: string): Promise<boolean> {
    return (await this.invites.count({ where: { id: inviteId, revokedAt: IsNull() } })) > 0;
  }

  async block(sessionId: string, userId: string, inviteId: string | null): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE "sessions" SET "blocked_ids" = array_append("blocked_ids", $2::varchar) WHERE "id" = $1 AND NOT ($2::varchar = ANY("blocked_ids"))`,
        [sessionId, userId],
      );
      if (inviteId) await m.update(SessionInviteEntity, { id: inviteId, closedAt: IsNull() }, { closedAt: new Date() });
    });
  }
}
