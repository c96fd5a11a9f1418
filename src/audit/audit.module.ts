import { Module } from '@nestjs/common';
import { OperatorAudit } from './operator-audit';

/**
 * The operator audit log for any module that records actions (admin/, and sessions/ for invite
 * revocation): import AuditModule, inject OperatorAudit. Its store (AUDIT_LOG) comes from the
 * global PersistenceModule.
 */
@Module({ providers: [OperatorAudit], exports: [OperatorAudit] })
export class AuditModule {}
