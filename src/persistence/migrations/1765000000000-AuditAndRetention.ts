import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditAndRetention1765000000000 implements MigrationInterface {
  name = 'AuditAndRetention1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "operator_audit" (
        "id" bigserial PRIMARY KEY,
        "at" timestamptz NOT NULL DEFAULT now(),
        "actor_id" varchar(128) NOT NULL,
        "action" varchar(32) NOT NULL,
        "target" varchar(200),
        "outcome" varchar(8) NOT NULL,
        "error_code" varchar(32),
        "detail" jsonb
      )`);
    await q.query(`CREATE INDEX "idx_operator_audit_at" ON "operator_audit" ("at")`);
    // The daily purge finds ended calls by their end.
    await q.query(`CREATE INDEX "idx_call_sessions_ended" ON "call_sessions" ("ended_at") WHERE "status" = 'ended'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_call_sessions_ended"`);
    await q.query(`DROP TABLE "operator_audit"`);
  }
}
