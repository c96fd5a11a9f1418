import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('call_quality_samples')
@Index('idx_quality_call_at', ['callId', 'at'])
@Index('idx_quality_at', ['at'])
export class QualitySampleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'call_id', type: 'uuid' })
  callId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'varchar', length: 8 })
  origin!: 'server' | 'client';

  @Column({ type: 'varchar', length: 8, nullable: true })
  kind!: 'audio' | 'video' | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  direction!: 'send' | 'recv' | null;

  @Column({ name: 'packets_lost', type: 'integer', nullable: true })
  packetsLost!: number | null;

  @Column({ name: 'fraction_lost', type: 'real', nullable: true })
  fractionLost!: number | null;

  @Column({ name: 'jitter_ms', type: 'real', nullable: true })
  jitterMs!: number | null;

  @Column({ name: 'rtt_ms', type: 'real', nullable: true })
  rttMs!: number | null;

  @Column({ name: 'bitrate_kbps', type: 'real', nullable: true })
  bitrateKbps!: number | null;

  @Column({ type: 'real', nullable: true })
  score!: number | null;

  @Column({ name: 'score_min', type: 'real', nullable: true })
  scoreMin!: number | null;

  @Column({ type: 'integer', nullable: true })
  freezes!: number | null;
}
