import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EventLogOwnership1764500000000 implements MigrationInterface {
  name = 'EventLogOwnership1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "call_sessions" ADD "owner_id" uuid`);
    await q.query(`CREATE INDEX "idx_call_sessions_open" ON "call_sessions" ("status") WHERE "status" <> 'ended'`);
    await q.query(`
      CREATE TABLE "call_events" (
        "id" bigserial PRIMARY KEY,
        "call_id" uuid NOT NULL REFERENCES "call_sessions" ("id") ON DELETE CASCADE,
        "at" timestamptz NOT NULL,
        "subject" varchar(16) NOT NULL,
        "user_id" varchar(128),
        "from_state" varchar(16) NOT NULL,
        "to_state" varchar(16) NOT NULL,
        "reason" varchar(32),
        "actor_id" varchar(128)
      )`);
    await q.query(`CREATE INDEX "idx_call_events_call" ON "call_events" ("call_id", "id")`);
    await q.query(`
      CREATE TABLE "gateway_instances" (
        "id" uuid PRIMARY KEY,
        "started_at" timestamptz NOT NULL,
        "last_seen_at" timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway_instances"`);
    await q.query(`DROP TABLE "call_events"`);
    await q.query(`DROP INDEX "idx_call_sessions_open"`);
    await q.query(`ALTER TABLE "call_sessions" DROP COLUMN "owner_id"`);
  }
}
