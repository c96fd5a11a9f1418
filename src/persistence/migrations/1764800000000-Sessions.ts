import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1764800000000 implements MigrationInterface {
  name = 'Sessions1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "call_sessions" ADD "kind" varchar(8) NOT NULL DEFAULT 'call'`);
    await q.query(`
      CREATE TABLE "sessions" (
        "id" uuid PRIMARY KEY,
        "call_id" uuid NOT NULL UNIQUE REFERENCES "call_sessions" ("id"),
        "title" varchar(200) NOT NULL,
        "host_ids" varchar(128)[] NOT NULL,
        "starts_at" timestamptz NOT NULL,
        "duration_minutes" integer NOT NULL,
        "lobby" boolean NOT NULL,
        "max_participants" integer NOT NULL,
        "locked" boolean NOT NULL DEFAULT false,
        "status" varchar(16) NOT NULL,
        "invite_version" integer NOT NULL DEFAULT 1,
        "created_by" varchar(128) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "idx_sessions_starts" ON "sessions" ("starts_at")`);
    await q.query(`
      CREATE TABLE "session_guests" (
        "id" varchar(128) PRIMARY KEY,
        "session_id" uuid NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE,
        "name" varchar(80) NOT NULL,
        "invited_as" varchar(128),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "idx_session_guests_session" ON "session_guests" ("session_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "session_guests"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`ALTER TABLE "call_sessions" DROP COLUMN "kind"`);
  }
}
