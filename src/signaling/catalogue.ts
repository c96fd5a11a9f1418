/**
 * The one event catalogue: every socket event name, its validated payload schema and its
 * ack/emit types. The sample client imports this module too (types and names), so the wire
 * contract lives in exactly one place. See PROTOCOL.md / README "Wire protocol".
 */
import { z } from 'zod';

// ---------- shared primitives ----------
const id = z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be an id');
export const userIdSchema = z.string().trim().min(1).max(128);
export const mediaKind = z.enum(['audio', 'video']);
export const mediaSource = z.enum(['mic', 'camera', 'screen']);
export const CALL_STATUSES = ['initiated', 'ringing', 'active', 'ended'] as const;
export const END_REASONS = ['completed', 'cancelled', 'declined', 'missed', 'connection_lost', 'force_ended', 'time_limit', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export type EndReason = (typeof END_REASONS)[number];
export type { MediaKind, MediaSource, ProducerInfo, TransportAck, ConsumeAck } from '../media/media.types';
import type { MediaKind, MediaSource, ProducerInfo } from '../media/media.types';

// DTLS parameters reach the worker: validate them fully (a malformed one once killed workers).
const dtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(
      z.object({
        algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
        value: z.string().regex(/^([0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{2}$/, 'must be a hex fingerprint'),
      }),
    )
    .min(1)
    .max(8),
});
// RTP parameters/capabilities are checked for shape here and fully by mediasoup's own validator.
const codec = z.looseObject({ mimeType: z.string().min(3).max(64), clockRate: z.number().int().positive() });
const rtpParameters = z.looseObject({
  codecs: z.array(codec.extend({ payloadType: z.number().int().min(0).max(127) })).min(1).max(32),
  encodings: z.array(z.looseObject({})).max(8).optional(),
  headerExtensions: z.array(z.looseObject({})).max(32).optional(),
  rtcp: z.looseObject({}).optional(),
  mid: z.string().max(32).optional(),
});
const rtpCapabilities = z.looseObject({
  codecs: z.array(codec).max(64).optional(),
  headerExtensions: z.array(z.looseObject({})).max(64).optional(),
});

// ---------- client -> server ----------
export const C2S = {
  callInitiate: 'call:initiate',
  callJoin: 'call:join',
  callDecline: 'call:decline',
  callCancel: 'call:cancel',
  callLeave: 'call:leave',
  callEnd: 'call:end',
  createTransport: 'media:create-transport',
  connectTransport: 'media:connect-transport',
  produce: 'media:produce',
  consume: 'media:consume',
  resumeConsumer: 'media:resume-consumer',
  pauseProducer: 'media:pause-producer',
  resumeProducer: 'media:resume-producer',
  closeProducer: 'media:close-producer',
  restartIce: 'media:restart-ice',
  statsReport: 'stats:report',
  presenceList: 'presence:list',
} as const;

export const schemas = {
  callInitiate: z.object({
    calleeIds: z.array(userIdSchema).min(1).max(49),
    media: mediaKind,
    conversationId: z.string().trim().min(1).max(128).optional(),
  }),
  callRef: z.object({ callId: id }),
  createTransport: z.object({ callId: id, direction: z.enum(['send', 'recv']) }),
  connectTransport: z.object({ transportId: id, dtlsParameters }),
  produce: z.object({ transportId: id, kind: mediaKind, rtpParameters, source: mediaSource }),
  consume: z.object({ transportId: id, producerId: id, rtpCapabilities }),
  consumerRef: z.object({ consumerId: id }),
  producerRef: z.object({ producerId: id }),
  transportRef: z.object({ transportId: id }),
  statsReport: z.object({ callId: id, samples: z.array(z.looseObject({})).max(100) }),
  presenceList: z.object({}).optional(),
};

export type CallInitiateRequest = z.infer<typeof schemas.callInitiate>;
export type CallRef = z.infer<typeof schemas.callRef>;
export type CreateTransportRequest = z.infer<typeof schemas.createTransport>;
export type ConnectTransportRequest = z.infer<typeof schemas.connectTransport>;
export type ProduceRequest = z.infer<typeof schemas.produce>;
export type ConsumeRequest = z.infer<typeof schemas.consume>;
export type DtlsParametersInput = z.infer<typeof dtlsParameters>;
export type RtpParametersInput = z.infer<typeof rtpParameters>;
export type RtpCapabilitiesInput = z.infer<typeof rtpCapabilities>;

// ---------- ack data ----------
export type PresenceStatus = 'online' | 'busy' | 'offline';
export interface PresenceListAck { users: { userId: string; status: PresenceStatus }[] }
export type ParticipantState = 'invited' | 'ringing' | 'joined' | 'reconnecting' | 'left';
export interface ParticipantInfo { userId: string; name: string; state: ParticipantState }
export interface IceServer { urls: string | string[]; username?: string; credential?: string }
export interface CallInitiateAck { callId: string }
export interface CallJoinAck {
  callId: string;
  routerRtpCapabilities: unknown;
  iceServers: IceServer[];
  participants: ParticipantInfo[];
  producers: ProducerInfo[];
}

// ---------- server -> client ----------
export const S2C = {
  callIncoming: 'call:incoming',
  callRinging: 'call:ringing',
  participantJoined: 'call:participant-joined',
  participantReconnecting: 'call:participant-reconnecting',
  participantLeft: 'call:participant-left',
  callDeclined: 'call:declined',
  callCancelled: 'call:cancelled',
  mediaToggled: 'call:media-toggled',
  callEnded: 'call:ended',
  newProducer: 'media:new-producer',
  producerClosed: 'media:producer-closed',
  consumerClosed: 'media:consumer-closed',
  presenceChanged: 'presence:changed',
  answeredElsewhere: 'call:answered-elsewhere',
} as const;

export interface ServerEvents {
  'call:incoming': { callId: string; from: { userId: string; name: string }; media: MediaKind; conversationId?: string };
  'call:ringing': { callId: string; userId: string };
  'call:participant-joined': { callId: string; userId: string; name: string };
  'call:participant-reconnecting': { callId: string; userId: string };
  'call:participant-left': { callId: string; userId: string; reason: string };
  'call:declined': { callId: string; userId: string };
  'call:cancelled': { callId: string };
  'call:media-toggled': { callId: string; userId: string; source: MediaSource; enabled: boolean };
  'call:ended': { callId: string; reason: EndReason; durationSeconds: number };
  'media:new-producer': { callId: string; producerId: string; userId: string; kind: MediaKind; source: MediaSource };
  'media:producer-closed': { callId: string; producerId: string };
  'media:consumer-closed': { callId: string; consumerId: string };
  'presence:changed': { userId: string; status: PresenceStatus };
  /** To a callee's other devices once one of them answered: stop ringing there. */
  'call:answered-elsewhere': { callId: string };
}
export type ServerEventName = keyof ServerEvents;

export const UNAUTHORIZED_MESSAGE = 'UNAUTHORIZED';
