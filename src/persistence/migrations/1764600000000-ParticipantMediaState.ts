import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ParticipantMediaState1764600000000 implements MigrationInterface {
  name = 'ParticipantMediaState1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "call_participants" ADD "audio_enabled" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "call_participants" ADD "video_enabled" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "call_participants" DROP COLUMN "video_enabled"`);
    await q.query(`ALTER TABLE "call_participants" DROP COLUMN "audio_enabled"`);
  }
}
