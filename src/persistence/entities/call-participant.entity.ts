import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CallSessionEntity } from './call-session.entity';

@Entity('call_participants')
@Index('idx_call_participants_user', ['userId'])
export class CallParticipantEntity {
  @PrimaryColumn({ name: 'call_id', type: 'uuid' })
  callId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @ManyToOne(() => CallSessionEntity, (c) => c.participants, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'call_id' })
  call!: CallSessionEntity;

  @Column({ type: 'varchar', length: 16 })
  role!: 'initiator' | 'callee' | 'host' | 'guest';

  @Column({ type: 'varchar', length: 16 })
  state!: string;

  @Column({ name: 'joined_at', type: 'timestamptz', nullable: true })
  joinedAt!: Date | null;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @Column({ name: 'leave_reason', type: 'varchar', length: 32, nullable: true })
  leaveReason!: string | null;

  @Column({ name: 'audio_enabled', type: 'boolean', default: false })
  audioEnabled!: boolean;

  @Column({ name: 'video_enabled', type: 'boolean', default: false })
  videoEnabled!: boolean;
}
