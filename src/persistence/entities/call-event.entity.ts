import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only: every transition of a call or participant. Never updated, never deleted by the app. */
@Entity('call_events')
@Index('idx_call_events_call', ['callId', 'id'])
export class CallEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'call_id', type: 'uuid' })
  callId!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'varchar', length: 16 })
  subject!: 'call' | 'participant' | 'control';

  @Column({ name: 'user_id', type: 'varchar', length: 128, nullable: true })
  userId!: string | null;

  @Column({ name: 'from_state', type: 'varchar', length: 16 })
  fromState!: string;

  @Column({ name: 'to_state', type: 'varchar', length: 16 })
  toState!: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  reason!: string | null;

  @Column({ name: 'actor_id', type: 'varchar', length: 128, nullable: true })
  actorId!: string | null;
}
