import type { types as ms } from 'mediasoup';
import type { MediaRoom } from './room';

/**
 * RTP in and out of a room without ICE or DTLS, for code inside the media layer: server-side
 * ingest and the capacity benchmark. Clients never get one (the wire contract has no plain
 * transports).
 */

/**
 * `receive: true` places it like a receive transport (spread over routers when the budget is
 * used). `srtp`: the media is SRTP-encrypted with that suite; the transport's own key is its
 * `srtpParameters`, the peer's is given to `connect()`.
 */
export function createPlainTransport(room: MediaRoom, userId: string, opts: { comedia: boolean; receive?: boolean; srtp?: ms.SrtpCryptoSuite }): Promise<ms.PlainTransport> {
  return room.addTransport(userId, 'plain', opts.receive === true, (where) =>
    where.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: room.network.listenIp, portRange: room.network.portRange },
      rtcpMux: true,
      comedia: opts.comedia,
      ...(opts.srtp ? { enableSrtp: true, srtpCryptoSuite: opts.srtp } : {}),
      appData: { userId, direction: 'plain' },
    }),
  );
}

/** The worker's outbound counters for one of the user's consumers. */
export async function consumerStats(room: MediaRoom, userId: string, consumerId: string): Promise<{ packetCount: number; byteCount: number }> {
  const out = (await room.consumer(userId, consumerId).getStats()).find((s) => s.type === 'outbound-rtp');
  return { packetCount: out?.packetCount ?? 0, byteCount: out?.byteCount ?? 0 };
}
