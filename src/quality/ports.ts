/** One quality sample row: from the worker (origin server) or from a client's getStats (origin client). */
export interface QualitySampleRow {
  callId: string;
  userId: string;
  at: Date;
  origin: 'server' | 'client';
  kind: 'audio' | 'video' | null;
  direction: 'send' | 'recv' | null;
  packetsLost: number | null;
  fractionLost: number | null;
  jitterMs: number | null;
  rttMs: number | null;
  bitrateKbps: number | null;
  score: number | null;
  scoreMin: number | null;
  freezes: number | null;
}

export interface ParticipantQuality {
  userId: string;
  samples: number;
  lossPercentAvg: number | null;
  lossPercentMax: number | null;
  jitterMsAvg: number | null;
  jitterMsMax: number | null;
  rttMsAvg: number | null;
  sendBitrateKbpsAvg: number | null;
  recvBitrateKbpsAvg: number | null;
  scoreMin: number | null;
  scoreAvg: number | null;
  freezes: number | null;
}

export interface QualityStore {
  /** One multi-row insert per batch: no per-row round trips on the hot path. */
  append(rows: QualitySampleRow[]): Promise<void>;
  summary(callId: string): Promise<ParticipantQuality[]>;
}
export const QUALITY_STORE = Symbol('QUALITY_STORE');
