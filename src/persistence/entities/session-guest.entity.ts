import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Someone who joined from an invite link without an account: an identity limited to one session. */
@Entity('session_guests')
@Index('idx_session_guests_session', ['sessionId'])
export class SessionGuestEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  /** Set for a per-participant invite: who it was issued to. */
  @Column({ name: 'invited_as', type: 'varchar', length: 128, nullable: true })
  invitedAs!: string | null;

  /** The invite it came with (null for rows from before invites were rows). */
  @Column({ name: 'invite_id', type: 'uuid', nullable: true })
  inviteId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
