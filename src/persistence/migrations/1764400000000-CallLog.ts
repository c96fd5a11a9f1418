import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CallLog1764400000000 implements MigrationInterface {
  name = 'CallLog1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "call_sessions" (
        "id" uuid PRIMARY KEY,
        "initiator_id" varchar(128) NOT NULL,
        "media" varchar(8) NOT NULL,
        "conversation_id" varchar(128),
        "status" varchar(16) NOT NULL,
        "end_reason" varchar(32),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "answered_at" timestamptz,
        "ended_at" timestamptz,
        "duration_seconds" integer
      )`);
    await q.query(`CREATE INDEX "idx_call_sessions_initiator_created" ON "call_sessions" ("initiator_id", "created_at")`);
    await q.query(`CREATE INDEX "idx_call_sessions_conversation_created" ON "call_sessions" ("conversation_id", "created_at")`);
    await q.query(`
      CREATE TABLE "call_participants" (
        "call_id" uuid NOT NULL REFERENCES "call_sessions" ("id") ON DELETE CASCADE,
        "user_id" varchar(128) NOT NULL,
        "role" varchar(16) NOT NULL,
        "state" varchar(16) NOT NULL,
        "joined_at" timestamptz,
        "left_at" timestamptz,
        "leave_reason" varchar(32),
        PRIMARY KEY ("call_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "idx_call_participants_user" ON "call_participants" ("user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "call_participants"`);
    await q.query(`DROP TABLE "call_sessions"`);
  }
}
