import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A scheduled group session: a call with hosts, a start, a duration and a waiting room. */
@Entity('sessions')
@Index('idx_sessions_starts', ['startsAt'])
export class TherapySessionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'call_id', type: 'uuid', unique: true })
  callId!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ name: 'host_ids', type: 'varchar', length: 128, array: true })
  hostIds!: string[];

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt!: Date;

  @Column({ name: 'duration_minutes', type: 'integer' })
  durationMinutes!: number;

  @Column({ type: 'boolean' })
  lobby!: boolean;

  @Column({ name: 'max_participants', type: 'integer' })
  maxParticipants!: number;

  @Column({ type: 'boolean', default: false })
  locked!: boolean;

  @Column({ type: 'varchar', length: 16 })
  status!: 'scheduled' | 'cancelled' | 'ended';

  /** Bumped to revoke every invite link issued so far. */
  @Column({ name: 'invite_version', type: 'integer', default: 1 })
  inviteVersion!: number;

  /** Removed or denied: never admitted again, whichever gateway hosts the session. */
  @Column({ name: 'blocked_ids', type: 'varchar', length: 128, array: true, default: () => "'{}'" })
  blockedIds!: string[];

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
