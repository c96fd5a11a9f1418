/**
 * One zod schema per client event payload: the gateway validates every inbound payload
 * with these. Kept apart from the catalogue so the browser bundle never carries zod.
 */
import { z } from 'zod';

const id = z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be an id');
export const userIdSchema = z.string().trim().min(1).max(128);
export const mediaKind = z.enum(['audio', 'video']);
export const mediaSource = z.enum(['mic', 'camera', 'screen']);
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
/**
 * Every number has a maximum (payload-schemas.spec.ts walks the schemas): what is stored must
 * fit its integer column, and one client's absurd value must never fail a write shared with
 * other calls (quality samples go in one batch).
 */
// RTP parameters/capabilities are checked for shape here and fully by mediasoup's own validator.
const codec = z.looseObject({ mimeType: z.string().min(3).max(64), clockRate: z.number().int().positive().max(1_000_000) });
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

export const schemas = {
  callInitiate: z.object({
    calleeIds: z.array(userIdSchema).min(1).max(49),
    media: mediaKind,
    conversationId: z.string().trim().min(1).max(128).optional(),
  }),
  callRef: z.object({ callId: id }),
  createTransport: z.object({ callId: id, direction: z.enum(['send', 'recv']) }),
  connectTransport: z.object({ transportId: id, dtlsParameters }),
  produce: z.object({ transportId: id, kind: mediaKind, rtpParameters, source: mediaSource, paused: z.boolean().optional() }),
  consume: z.object({ transportId: id, producerId: id, rtpCapabilities }),
  consumerRef: z.object({ consumerId: id }),
  producerRef: z.object({ producerId: id }),
  transportRef: z.object({ transportId: id }),
  statsReport: z.object({
    callId: id,
    // A client's getStats summary; known numeric fields are kept, anything else is ignored.
    samples: z
      .array(
        z.looseObject({
          kind: mediaKind.optional(),
          direction: z.enum(['inbound', 'outbound']).optional(),
          // Cumulative per stream: a day of 5,000 packets/s loses far fewer than 10^9.
          packetsLost: z.number().int().min(0).max(1_000_000_000).optional(),
          fractionLost: z.number().min(0).max(1).optional(),
          jitter: z.number().min(0).max(60).optional(),
          roundTripTime: z.number().min(0).max(60).optional(),
          bitrateKbps: z.number().min(0).max(1_000_000).optional(),
          freezeCount: z.number().int().min(0).max(1_000_000).optional(),
        }),
      )
      .max(50),
  }),
  presenceList: z.object({}).optional(),
  callUser: z.object({ callId: id, userId: userIdSchema }),
  hostMute: z.object({ callId: id, userId: userIdSchema, source: mediaSource }),
  hostLock: z.object({ callId: id, locked: z.boolean() }),
  sessionExtend: z.object({ callId: id, minutes: z.number().int().min(1).max(120) }),
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
export type StatsReport = z.infer<typeof schemas.statsReport>;

