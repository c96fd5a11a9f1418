/**
 * The read-only view of the client that the browser tests read from `window.__hearth`.
 * Types only and no DOM types, so the Node-side tests can import it too.
 */
export type AppState = 'signed-out' | 'connecting' | 'ready' | 'incoming' | 'joining' | 'in-call' | 'disconnected' | 'guest' | 'waiting';

export interface LocalTrackInfo {
  kind: string;
  readyState: 'live' | 'ended';
  enabled: boolean;
}

export interface InboundStat {
  kind: 'audio' | 'video';
  userId: string;
  consumerId: string;
  framesDecoded: number;
  bytesReceived: number;
  packetsReceived: number;
}

/** One end of the ICE candidate pair a transport selected (from RTCPeerConnection stats). */
export interface CandidateView {
  candidateType: string;
  protocol: string;
  address: string;
  port: number;
}

/** The candidate pair each open transport of the current call uses. */
export interface SelectedPair {
  direction: 'send' | 'recv';
  local: CandidateView;
  remote: CandidateView;
}

export interface ParticipantView {
  userId: string;
  name: string;
  state: string;
}

/** Another user as the presence panel shows them (offline users are not listed). */
export interface PresenceView {
  userId: string;
  status: 'online' | 'busy';
}

export interface ReceivedEvent {
  /** Date.now() when the event arrived. */
  at: number;
  event: string;
  callId?: string;
}

export interface CallEnd {
  callId: string;
  reason: string;
}

export interface HearthDebug {
  readonly state: AppState;
  readonly userId: string | null;
  /** The current call, or null between calls. */
  readonly callId: string | null;
  /** How the last call ended (server reason, or a local one such as `left`). */
  readonly lastEnd: CallEnd | null;
  /** Date.now() when this client last sent `call:join`. */
  readonly joinSentAt: number | null;
  /** Every local track of the current or last call, including ones already stopped. */
  localTracks(): LocalTrackInfo[];
  /** One entry per inbound RTP stream of the current call's consumers. */
  inboundStats(): Promise<InboundStat[]>;
  /** The selected ICE candidate pair of each connected transport of the current call. */
  selectedPairs(): Promise<SelectedPair[]>;
  /** True when no send/recv transport of the current or last call is open. */
  transportsClosed(): boolean;
  /** True while the current call's media is being rebuilt after `media:reconnect`. */
  readonly mediaReconnecting: boolean;
  /** How many `media:reconnect` rebuilds of the current or last call completed. */
  readonly mediaReconnects: number;
  participants(): ParticipantView[];
  /** Every other user online, sorted by user id. */
  presence(): PresenceView[];
  /** The server events this page received, oldest first (bounded). */
  events(): ReceivedEvent[];
  /** The signed-in role (`member`, `host`), `guest` for an invite link, null before signing in. */
  readonly role: string | null;
  /** The session call this page waits to be admitted to (state `waiting`), else null. */
  readonly waitingFor: string | null;
  /** A host's waiting room in the current session call, in arrival order. */
  waitingList(): Array<{ userId: string; name: string }>;
  /** The current session call's scheduled end (ISO), or null. */
  readonly endsAt: string | null;
  /** Whether the current session call is locked (as its host last set or heard). */
  readonly locked: boolean;
  /** True while the guest entry screen's camera preview holds a live track. */
  readonly previewLive: boolean;
  /**
   * Sends `media:create-transport` (recv) for the current or awaited call from this page's socket
   * and returns `OK` or the ack's error code: proves what the server allows this page.
   */
  probeMediaRequest(): Promise<string>;
}
