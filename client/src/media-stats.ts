import type { types as msc } from 'mediasoup-client';
import type { CandidateView, InboundStat, SelectedPair } from './debug-api';
import type { RemoteTrack } from './media-receiver';

/** One entry per inbound RTP stream of the given consumers (read by the debug hooks). */
export async function inboundStats(consumers: Array<{ consumer: msc.Consumer; remote: RemoteTrack }>): Promise<InboundStat[]> {
  const out: InboundStat[] = [];
  for (const { consumer, remote } of consumers) {
    const report = await consumer.getStats().catch(() => null);
    report?.forEach((s: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number; packetsReceived?: number }) => {
      if (s.type !== 'inbound-rtp') return;
      out.push({
        kind: remote.kind,
        userId: remote.userId,
        consumerId: remote.consumerId,
        framesDecoded: s.framesDecoded ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
      });
    });
  }
  return out;
}

/** The ICE candidate pair each open transport selected, from its RTCPeerConnection stats. */
export async function selectedPairs(transports: { send: msc.Transport | null; recv: msc.Transport | null }): Promise<SelectedPair[]> {
  const out: SelectedPair[] = [];
  const { send, recv } = transports;
  for (const [direction, transport] of [['send', send], ['recv', recv]] as const) {
    if (!transport || transport.closed) continue;
    const report = await transport.getStats().catch(() => null);
    if (!report) continue;
    type Stat = { type: string; id: string; state?: string; nominated?: boolean; selectedCandidatePairId?: string; localCandidateId?: string; remoteCandidateId?: string };
    const stats = new Map<string, Stat & Record<string, unknown>>();
    report.forEach((s: Stat & Record<string, unknown>) => stats.set(s.id, s));
    const fromTransport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId)?.selectedCandidatePairId;
    const pair = fromTransport
      ? stats.get(fromTransport)
      : [...stats.values()].find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
    const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
    const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
    if (!local || !remote) continue;
    out.push({ direction, local: candidateView(local), remote: candidateView(remote) });
  }
  return out;
}

function candidateView(c: Record<string, unknown>): CandidateView {
  return {
    candidateType: String(c.candidateType ?? ''),
    protocol: String(c.protocol ?? ''),
    address: String(c.address ?? c.ip ?? ''),
    port: Number(c.port ?? 0),
  };
}
