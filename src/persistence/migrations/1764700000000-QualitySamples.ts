import type { MigrationInterface, QueryRunner } from 'typeorm';

export class QualitySamples1764700000000 implements MigrationInterface {
  name = 'QualitySamples1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "call_quality_samples" (
        "id" bigserial PRIMARY KEY,
        "call_id" uuid NOT NULL REFERENCES "call_sessions" ("id") ON DELETE CASCADE,
        "user_id" varchar(128) NOT NULL,
        "at" timestamptz NOT NULL,
        "origin" varchar(8) NOT NULL,
        "kind" varchar(8),
        "direction" varchar(8),
        "packets_lost" integer,
        "fraction_lost" real,
        "jitter_ms" real,
        "rtt_ms" real,
        "bitrate_kbps" real,
        "score" real,
        "score_min" real,
        "freezes" integer
      )`);
    await q.query(`CREATE INDEX "idx_quality_call_at" ON "call_quality_samples" ("call_id", "at")`);
    await q.query(`CREATE INDEX "idx_quality_at" ON "call_quality_samples" ("at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "call_quality_samples"`);
  }
}
