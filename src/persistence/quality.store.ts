import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ParticipantQuality, QualitySampleRow, QualityStore } from '../quality/ports';
import { QualitySampleEntity } from './entities/quality-sample.entity';

@Injectable()
export class TypeOrmQualityStore implements QualityStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async append(rows: QualitySampleRow[]): Promise<void> {
    if (!rows.length) return;
    // Chunks keep each statement under PostgreSQL's bind-parameter limit.
    for (let i = 0; i < rows.length; i += 1000) {
      await this.db.createQueryBuilder().insert().into(QualitySampleEntity).values(rows.slice(i, i + 1000)).execute();
    }
  }

  async summary(callId: string): Promise<ParticipantQuality[]> {
    const rows: Record<string, string | null>[] = await this.db.query(
      `SELECT user_id,
              count(*) AS samples,
              avg(fraction_lost) * 100 AS loss_avg, max(fraction_lost) * 100 AS loss_max,
              avg(jitter_ms) AS jitter_avg, max(jitter_ms) AS jitter_max,
              avg(rtt_ms) FILTER (WHERE rtt_ms > 0) AS rtt_avg,
              avg(bitrate_kbps) FILTER (WHERE direction = 'send' AND origin = 'server') AS send_kbps,
              avg(bitrate_kbps) FILTER (WHERE direction = 'recv' AND origin = 'server') AS recv_kbps,
              min(least(score, score_min)) AS score_min, avg(score) AS score_avg,
              max(freezes) FILTER (WHERE origin = 'client') AS freezes
         FROM call_quality_samples WHERE call_id = $1 GROUP BY user_id ORDER BY user_id`,
      [callId],
    );
    const num = (v: string | null) => (v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100);
    return rows.map((r) => ({
      userId: r.user_id as string,
      samples: Number(r.samples),
      lossPercentAvg: num(r.loss_avg),
      lossPercentMax: num(r.loss_max),
      jitterMsAvg: num(r.jitter_avg),
      jitterMsMax: num(r.jitter_max),
      rttMsAvg: num(r.rtt_avg),
      sendBitrateKbpsAvg: num(r.send_kbps),
      recvBitrateKbpsAvg: num(r.recv_kbps),
      scoreMin: num(r.score_min),
      scoreAvg: num(r.score_avg),
      freezes: r.freezes === null ? null : Number(r.freezes),
    }));
  }
}
