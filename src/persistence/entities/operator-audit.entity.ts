import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One operator action (add/drain a worker, force-end a call, revoke invites): who, what, on what, when, how it went. */
@Entity('operator_audit')
@Index('idx_operator_audit_at', ['at'])
export class OperatorAuditEntity {
  /** Paging goes by id (insertion order), newest first. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ name: 'actor_id', type: 'varchar', length: 128 })
  actorId!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  target!: string | null;

  @Column({ type: 'varchar', length: 8 })
  outcome!: 'ok' | 'failed';

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  detail!: Record<string, string | number | boolean | null> | null;
}
