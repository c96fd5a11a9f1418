import type { MediaKind, MediaQualitySample } from './media.types';
import type { Peer } from './peer';

/**
 * A room's media quality: the lowest score each producer and consumer reported (score events)
 * since the last sample, and the samples themselves, read from the worker with getStats.
 */
export class RoomQuality {
  private readonly lowScores = new Map<string, number>();

  /** A score event: kept if it is the lowest since the last sample. */
  note(id: string, score: number): void {
    this.lowScores.set(id, Math.min(score, this.lowScores.get(id) ?? score));
  }

  async samples(peers: Iterable<Peer>): Promise<MediaQualitySample[]> {
    const out: MediaQualitySample[] = [];
    const take = (id: string, score: number) => {
      const low = Math.min(score, this.lowScores.get(id) ?? score);
      this.lowScores.delete(id);
      return low;
    };
    for (const peer of peers) {
      for (const { producer } of peer.producers.values()) {
        const stats = await producer.getStats().catch(() => []);
        for (const st of stats) out.push(sample(peer.userId, producer.kind, 'send', st, take(producer.id, st.score)));
      }
      for (const { consumer } of peer.consumers.values()) {
        const st = (await consumer.getStats().catch(() => [])).find((x) => x.type === 'outbound-rtp');
        if (st) out.push(sample(peer.userId, consumer.kind as MediaKind, 'recv', st, take(consumer.id, st.score)));
      }
    }
    return out;
  }
}

type StreamStats = { mimeType: string; packetsLost: number; fractionLost: number; jitter: number; roundTripTime?: number; bitrate?: number; score: number };

function sample(userId: string, kind: MediaKind, direction: 'send' | 'recv', st: StreamStats, scoreMin: number): MediaQualitySample {
  // mediasoup reports jitter in RTP timestamp units and fraction lost in 1/256ths (as RTCP does).
  const clockRate = /opus/i.test(st.mimeType) ? 48000 : 90000;
  return {
    userId,
    kind,
    direction,
    packetsLost: st.packetsLost,
    fractionLost: st.fractionLost / 256,
    jitterMs: Number.isFinite(st.jitter) ? (st.jitter / clockRate) * 1000 : null,
    rttMs: st.roundTripTime ?? null,
    bitrateKbps: (st.bitrate ?? 0) / 1000,
    score: st.score,
    scoreMin,
  };
}
