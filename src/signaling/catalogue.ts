/**
 * The one event catalogue: every socket event name and its payload, ack and emit types. The sample client imports this module too (types and names), so the wire
 * contract lives in exactly one place (payload schemas: payload-schemas.ts). See README "Wire protocol".
 */

// ---------- shared primitives ----------
// The domain owns its states and reasons (calls/call-states.ts); the contract names them.
export { CALL_STATUSES, END_REASONS, PARTICIPANT_STATES, LEAVE_REASONS, SENT_TO_LOBBY } from '../calls/call-states';
export type { CallStatus, EndReason, ParticipantState, ParticipantRole, LeaveReason, ParticipantLeftReason } from '../calls/call-states';
import type { EndReason, ParticipantLeftReason, ParticipantState } from '../calls/call-states';
export type { MediaKind, MediaSource, ProducerInfo, TransportAck, ConsumeAck } from '../media/media.types';
import type { ConsumeAck, MediaKind, MediaSource, ProducerInfo, TransportAck } from '../media/media.types';
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
export type PresenceStatus = 'online' | 'busy' | 'offline';
export interface PresenceListAck { users: { userId: string; status: PresenceStatus }[] }
export interface ParticipantInfo { userId: string; name: string; state: ParticipantState }
export type { IceServer } from '../calls/ice-server.types';
import type { IceServer } from '../calls/ice-server.types';
export interface CallInitiateAck { callId: string }
export interface CallJoinAck {
  callId: string;
  /** Extensions: who started the call (the host of a group) and its media. */
  initiatorId: string;
  media: MediaKind;
  routerRtpCapabilities: unknown;
  iceServers: IceServer[];
  participants: ParticipantInfo[];
  producers: ProducerInfo[];
  /** Sessions: the scheduled end, which hosts can extend. */
  endsAt?: string;
}
/** A session guest held in the waiting room: no router capabilities, no media until admitted. */
export interface CallWaitingAck {
  callId: string;
  state: 'waiting';
}

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

export interface ServerEvents {
  'call:incoming': { callId: string; from: { userId: string; name: string }; media: MediaKind; conversationId?: string };
  'call:ringing': { callId: string; userId: string };
  'call:participant-joined': { callId: string; userId: string; name: string };
  'call:participant-reconnecting': { callId: string; userId: string };
  'call:participant-left': { callId: string; userId: string; reason: ParticipantLeftReason };
  'call:declined': { callId: string; userId: string };
  'call:cancelled': { callId: string };
  'call:media-toggled': { callId: string; userId: string; source: MediaSource; enabled: boolean };
  'call:ended': { callId: string; reason: EndReason; durationSeconds: number };
  'media:new-producer': { callId: string; producerId: string; userId: string; kind: MediaKind; source: MediaSource };
  'media:producer-closed': { callId: string; producerId: string };
  'media:consumer-closed': { callId: string; consumerId: string };
  'presence:changed': { userId: string; status: PresenceStatus };
  /** To a callee's other devices once one of them answered (stop ringing there), and to a device whose seat another device of the same user took over (leave the call UI, release media). */
  'call:answered-elsewhere': { callId: string };
  /** The call's media moved to another worker (its worker died, or an operator moved it): close both transports, keep local tracks, create new transports, produce again, consume again. The call goes on. */
  'media:reconnect': { callId: string; reason: 'worker_died' | 'migrated'; routerRtpCapabilities: unknown; iceServers: IceServer[] };
  /** To the session's hosts: someone is waiting to be admitted. */
  'lobby:knock': { callId: string; userId: string; name: string };
  /** To the admitted person: call call:join again to take a seat. */
  'lobby:admitted': { callId: string };
  /** To a waiting person: refused (`denied`) or waited too long (`timeout`). */
  'lobby:denied': { callId: string; reason: 'denied' | 'timeout' };
  /** To a participant a host sent back to the waiting room: their media is closed. */
  'lobby:sent-back': { callId: string };
  /** To a participant whose mic or camera a host paused. */
  'host:muted': { callId: string; source: MediaSource; byUserId: string };
  /** To a participant a host removed; they cannot rejoin this session. */
  'host:removed': { callId: string };
  'session:locked': { callId: string; locked: boolean };
  'session:time-warning': { callId: string; secondsLeft: number; endsAt: string };
  'session:extended': { callId: string; endsAt: string };
}
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
