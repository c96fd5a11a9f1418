import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A running gateway process; its heartbeat tells the reconciler whose calls are still owned. */
@Entity('gateway_instances')
export class GatewayInstanceEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;
}
