/**
 * What the call domain takes, answers and tells devices. The wire catalogue
 * (signaling/catalogue.ts) publishes these under the contract's names; the domain never
 * imports the edge.
 */
import type { MediaKind, MediaSource, ProducerInfo } from '../media/media.types';
import type { EndReason, ParticipantLeftReason, ParticipantRole, ParticipantState } from './call-states';
import type { IceServer } from './ice-server.types';

export interface InitiateCall {
  calleeIds: string[];
  media: MediaKind;
  conversationId?: string;
}

export interface ParticipantInfo {
  userId: string;
  name: string;
  state: ParticipantState;
  /** Extension: their part in the call; `host` is shown by the client as a badge no display name can imitate. */
  role: ParticipantRole;
}

/** The answer to a join that took a seat. */
export interface JoinedCall {
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
export interface WaitingCall {
  callId: string;
  state: 'waiting';
}

/** A client's getStats summary for a call it is seated in (known numeric fields only). */
export interface ClientStatsReport {
  callId: string;
  samples: {
    kind?: MediaKind;
    direction?: 'inbound' | 'outbound';
    packetsLost?: number;
    fractionLost?: number;
    jitter?: number;
    roundTripTime?: number;
    bitrateKbps?: number;
    freezeCount?: number;
  }[];
}

/** Every event the call domain (calls and their sessions) sends to devices: name -> payload. */
export interface CallEvents {
  'call:incoming': { callId: string; from: { userId: string; name: string }; media: MediaKind; conversationId?: string };
  'call:ringing': { callId: string; userId: string };
  'call:participant-joined': { callId: string; userId: string; name: string; role: ParticipantRole };
  'call:participant-reconnecting': { callId: string; userId: string };
  'call:participant-left': { callId: string; userId: string; reason: ParticipantLeftReason };
  'call:declined': { callId: string; userId: string };
  'call:cancelled': { callId: string };
  'call:media-toggled': { callId: string; userId: string; source: MediaSource; enabled: boolean };
  'call:ended': { callId: string; reason: EndReason; durationSeconds: number };
  'media:new-producer': { callId: string; producerId: string; userId: string; kind: MediaKind; source: MediaSource };
  'media:producer-closed': { callId: string; producerId: string };
  'media:consumer-closed': { callId: string; consumerId: string };
  /** To a callee's other devices once one of them answered (stop ringing there), and to a device whose seat another device of the same user took over (leave the call UI, release media). */
  'call:answered-elsewhere': { callId: string };
  /** The call's media moved to another worker (its worker died, or an operator moved it): close both transports, keep local tracks, create new transports, produce again, consume again. The call goes on. */
  'media:reconnect': { callId: string; reason: 'worker_died' | 'migrated' | 'node_lost'; routerRtpCapabilities: unknown; iceServers: IceServer[] };
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
