import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Invites as rows (listed, revoked, single-use per person); guests tied to their invite; blocks that outlive the gateway. */
export class SessionInvites1764950000000 implements MigrationInterface {
  name = 'SessionInvites1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "session_invites" (
        "id" uuid PRIMARY KEY,
        "session_id" uuid NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE,
        "for_user_id" varchar(128),
        "created_by" varchar(128) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "used_by" varchar(128),
        "closed_at" timestamptz,
        "revoked_at" timestamptz,
        "revoked_by" varchar(128)
      )`);
    await q.query(`CREATE INDEX "idx_session_invites_session" ON "session_invites" ("session_id")`);
    await q.query(`ALTER TABLE "session_guests" ADD "invite_id" uuid`);
    await q.query(`ALTER TABLE "sessions" ADD "blocked_ids" varchar(128)[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "blocked_ids"`);
    await q.query(`ALTER TABLE "session_guests" DROP COLUMN "invite_id"`);
    await q.query(`DROP TABLE "session_invites"`);
  }
}
