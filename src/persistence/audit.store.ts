import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditAction, AuditEntry, AuditLog, AuditPage, AuditQuery, AuditRecord } from '../audit/audit.port';
import { OperatorAuditEntity } from './entities/operator-audit.entity';

/** The operator audit log in `operator_audit`, paged newest first by id (the cursor is an entry's id). */
@Injectable()
export class TypeOrmAuditLog implements AuditLog {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(e: AuditRecord): Promise<void> {
    await this.db.getRepository(OperatorAuditEntity).insert({
      actorId: e.actorId,
      action: e.action,
      target: e.target,
      outcome: e.outcome,
      errorCode: e.errorCode ?? null,
      detail: e.detail ?? null,
    });
  }

  async page(q: AuditQuery): Promise<AuditPage> {
    const qb = this.db
      .getRepository(OperatorAuditEntity)
      .createQueryBuilder('a')
      .orderBy('a.id', 'DESC')
      // One more than asked tells whether another page follows.
      .limit(q.limit + 1);
    if (q.before !== undefined) qb.where('a.id < :before', { before: q.before });
    const rows = await qb.getMany();
    const entries = rows.slice(0, q.limit).map(toEntry);
    return { entries, nextCursor: rows.length > q.limit ? entries[entries.length - 1].id : null };
  }
}

function toEntry(r: OperatorAuditEntity): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actorId: r.actorId,
    action: r.action as AuditAction,
    target: r.target,
    outcome: r.outcome,
    errorCode: r.errorCode,
    detail: r.detail,
  };
}
