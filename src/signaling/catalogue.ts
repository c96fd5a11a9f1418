/**
 * The one event catalogue: every socket event name and its payload, ack and emit types. The sample client imports this module too (types and names), so the wire
 * contract lives in exactly one place (payload schemas: payload-schemas.ts). See README "Wire protocol".
 */

// ---------- shared primitives ----------
// The domain owns its states and reasons (calls/call-states.ts); the contract names them.
export { CALL_STATUSES, END_REASONS, PARTICIPANT_STATES, LEAVE_REASONS, SENT_TO_LOBBY } from '../calls/call-states';
export type { CallStatus, EndReason, ParticipantState, ParticipantRole, LeaveReason, ParticipantLeftReason } from '../calls/call-states';
export type { MediaKind, MediaSource, ProducerInfo, TransportAck, ConsumeAck } from '../media/media.types';
import type { ConsumeAck, MediaSource, TransportAck } from '../media/media.types';
import type { CallInitiateRequest, CallRef, ConnectTransportRequest, ConsumeRequest, CreateTransportRequest, ProduceRequest, StatsReport } from './payload-schemas';

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
  lobbyAdmit: 'lobby:admit',
  lobbyAdmitAll: 'lobby:admit-all',
  lobbyDeny: 'lobby:deny',
  lobbySendBack: 'lobby:send-back',
  hostMute: 'host:mute',
  hostRemove: 'host:remove',
  hostLock: 'host:lock',
  sessionExtend: 'session:extend',
} as const;

export type {
  CallInitiateRequest,
  CallRef,
  CreateTransportRequest,
  ConnectTransportRequest,
  ProduceRequest,
  ConsumeRequest,
  DtlsParametersInput,
  RtpParametersInput,
  RtpCapabilitiesInput,
  StatsReport,
} from './payload-schemas';

// ---------- ack data ----------
export type { PresenceStatus, PresenceEvents } from '../presence/presence.store';
import type { PresenceEvents, PresenceStatus } from '../presence/presence.store';
export interface PresenceListAck { users: { userId: string; status: PresenceStatus }[] }
export type { IceServer } from '../calls/ice-server.types';
import type { IceServer } from '../calls/ice-server.types';
export interface CallInitiateAck { callId: string }
// The call domain's answers, under the contract's names.
export type { JoinedCall as CallJoinAck, WaitingCall as CallWaitingAck, ParticipantInfo } from '../calls/call-messages';
import type { CallEvents, JoinedCall as CallJoinAck, WaitingCall as CallWaitingAck } from '../calls/call-messages';

/** Acks that carry nothing but success. */
export type EmptyAck = Record<string, never>;
export interface ProducerAck { producerId: string }
export interface RestartIceAck { iceParameters: unknown; iceServers: IceServer[] }
export interface AdmitAllAck { admitted: number }
export interface HostMuteAck { paused: number }
export interface SessionExtendAck { endsAt: string }
export interface ProducerRef { producerId: string }
export interface ConsumerRef { consumerId: string }
export interface TransportRef { transportId: string }
export interface CallUserRef { callId: string; userId: string }

/**
 * Every client request: event name -> [payload, ack data]. The gateway's handlers are typed
 * against it (`AckOf`), and the client's `request()` takes its types from it.
 */
export interface ClientRequests {
  'call:initiate': [CallInitiateRequest, CallInitiateAck];
  'call:join': [CallRef, CallJoinAck | CallWaitingAck];
  'call:decline': [CallRef, EmptyAck];
  'call:cancel': [CallRef, EmptyAck];
  'call:leave': [CallRef, EmptyAck];
  'call:end': [CallRef, EmptyAck];
  'media:create-transport': [CreateTransportRequest, TransportAck];
  'media:connect-transport': [ConnectTransportRequest, EmptyAck];
  'media:produce': [ProduceRequest, ProducerAck];
  'media:consume': [ConsumeRequest, ConsumeAck];
  'media:resume-consumer': [ConsumerRef, EmptyAck];
  'media:pause-producer': [ProducerRef, EmptyAck];
  'media:resume-producer': [ProducerRef, EmptyAck];
  'media:close-producer': [ProducerRef, EmptyAck];
  'media:restart-ice': [TransportRef, RestartIceAck];
  'stats:report': [StatsReport, EmptyAck];
  'presence:list': [EmptyAck, PresenceListAck];
  'lobby:admit': [CallUserRef, EmptyAck];
  'lobby:admit-all': [CallRef, AdmitAllAck];
  'lobby:deny': [CallUserRef, EmptyAck];
  'lobby:send-back': [CallUserRef, EmptyAck];
  'host:mute': [CallUserRef & { source: MediaSource }, HostMuteAck];
  'host:remove': [CallUserRef, EmptyAck];
  'host:lock': [CallRef & { locked: boolean }, EmptyAck];
  'session:extend': [CallRef & { minutes: number }, SessionExtendAck];
}
export type ClientRequestName = keyof ClientRequests;
/** What a handler answers for `E` (before the ack envelope). */
export type AckOf<E extends ClientRequestName> = ClientRequests[E][1];
export type RequestOf<E extends ClientRequestName> = ClientRequests[E][0];
// Every C2S name has an entry, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const REQUESTS_COVER_C2S: Exact<ClientRequestName, (typeof C2S)[keyof typeof C2S]> = true;

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
  presenceBatch: 'presence:batch',
  answeredElsewhere: 'call:answered-elsewhere',
  mediaReconnect: 'media:reconnect',
  lobbyKnock: 'lobby:knock',
  lobbyAdmitted: 'lobby:admitted',
  lobbyDenied: 'lobby:denied',
  lobbySentBack: 'lobby:sent-back',
  hostMuted: 'host:muted',
  hostRemoved: 'host:removed',
  sessionLocked: 'session:locked',
  sessionTimeWarning: 'session:time-warning',
  sessionExtended: 'session:extended',
} as const;

/** Every server event: what the call domain sends (calls/call-messages.ts) and what presence sends. */
export type ServerEvents = CallEvents & PresenceEvents;
export type ServerEventName = keyof ServerEvents;

export const UNAUTHORIZED_MESSAGE = 'UNAUTHORIZED';

// ---------- REST ----------
export type * from './rest-contract';

/** GET /api/me: who the bearer token names. Guests' tokens also name their one session and its call. */
export interface MeResponse {
  userId: string;
  name: string;
  role: 'member' | 'host' | 'admin';
  sessionId?: string;
  callId?: string;
}
