import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An invite link of a session: shared, or for one person (single use); revocable. */
@Entity('session_invites')
@Index('idx_session_invites_session', ['sessionId'])
export class SessionInviteEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  /** Set for a per-person invite: who it is for (it then admits one exchange). */
  @Column({ name: 'for_user_id', type: 'varchar', length: 128, nullable: true })
  forUserId!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'used_by', type: 'varchar', length: 128, nullable: true })
  usedBy!: string | null;

  /** No new exchanges (someone who came with it was removed or denied); guests already holding it stay. */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  /** Admits nobody any more, not even guests who came with it. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 128, nullable: true })
  revokedBy!: string | null;
}
