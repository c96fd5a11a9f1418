import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { CallParticipantEntity } from './call-participant.entity';

@Entity('call_sessions')
@Index('idx_call_sessions_initiator_created', ['initiatorId', 'createdAt'])
@Index('idx_call_sessions_conversation_created', ['conversationId', 'createdAt'])
export class CallSessionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'initiator_id', type: 'varchar', length: 128 })
  initiatorId!: string;

  @Column({ type: 'varchar', length: 8 })
  media!: 'audio' | 'video';

  /** `call` (placed with call:initiate) or `session` (scheduled; see the sessions table). */
  @Column({ type: 'varchar', length: 8, default: 'call' })
  kind!: 'call' | 'session';

  @Column({ name: 'conversation_id', type: 'varchar', length: 128, nullable: true })
  conversationId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'duration_seconds', type: 'integer', nullable: true })
  durationSeconds!: number | null;

  /** The gateway instance hosting the call while it is live. */
  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId!: string | null;

  @OneToMany(() => CallParticipantEntity, (p) => p.call)
  participants!: CallParticipantEntity[];
}
