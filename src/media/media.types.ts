/** Plain media shapes shared with the domain and the wire catalogue (no mediasoup import here). */
export type MediaKind = 'audio' | 'video';
export type MediaSource = 'mic' | 'camera' | 'screen';

export interface ProducerInfo {
  producerId: string;
  userId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

export interface TransportAck {
  transportId: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
  sctpParameters?: unknown;
}

export interface ConsumeAck {
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  source: MediaSource;
  userId: string;
}

export interface ProduceInput {
  transportId: string;
  kind: MediaKind;
  source: MediaSource;
  /** Shape-checked at the edge; mediasoup validates it fully. */
  rtpParameters: object;
  /** Start paused (e.g. a muted mic produced again after a reconnect). */
  paused?: boolean;
}

export interface ConsumeInput {
  transportId: string;
  producerId: string;
  rtpCapabilities: object;
}

export interface DtlsInput {
  role?: 'auto' | 'client' | 'server';
  fingerprints: { algorithm: 'sha-1' | 'sha-224' | 'sha-256' | 'sha-384' | 'sha-512'; value: string }[];
}

export interface RoomCounts {
  peers: number;
  transports: number;
  producers: number;
  consumers: number;
}

/** One stream's quality as the worker sees it, for one participant (send = their producer, recv = their consumer). */
export interface MediaQualitySample {
  userId: string;
  kind: MediaKind;
  direction: 'send' | 'recv';
  packetsLost: number;
  /** 0..1 over the last RTCP interval. */
  fractionLost: number;
  jitterMs: number | null;
  rttMs: number | null;
  bitrateKbps: number;
  /** mediasoup score 0..10 now, and the lowest seen since the previous sample (score events). */
  score: number;
  scoreMin: number;
}

/** One media worker as operators see it (`GET /api/admin/workers`). */
export interface WorkerStats {
  pid: number;
  state: 'active' | 'draining';
  /** Its place in the pool; in server mode it listens on RTC_SERVER_PORT + slot. */
  slot: number;
  /** The UDP/TCP sockets its WebRtcServer shares among all its WebRTC transports (empty in range mode). */
  rtcListen: { protocol: 'udp' | 'tcp'; ip: string; port: number }[];
  /** Share of one core over the last sampling window; null before the first window. */
  cpuPercent: number | null;
  cpuTimeMs: number;
  maxRssKb: number | null;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}
