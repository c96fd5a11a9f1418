import { S2C, type MediaSource, type ServerEventName, type ServerEvents } from '../../src/signaling/catalogue';
import type { ActiveCall } from './active-call';
import type { SessionPanel } from './session-panel';
import type { Signaling } from './signaling';

// Each handler is named after its event's key in S2C.

/** The current call's events (the call flow). */
export interface CallEventHandlers {
  /** The call this page is in; an event naming another call is dropped. */
  readonly current: ActiveCall | null;
  /** The current session call's countdown and host controls. */
  readonly sessionPanel: SessionPanel | null;
  lobbySentBack(call: ActiveCall): void;
  hostMuted(call: ActiveCall, source: MediaSource): Promise<void>;
  participantJoined(call: ActiveCall, e: ServerEvents['call:participant-joined']): void;
  participantLeft(call: ActiveCall, e: ServerEvents['call:participant-left']): void;
  mediaReconnect(call: ActiveCall, e: ServerEvents['media:reconnect']): Promise<void>;
}

/** The waiting room's and the session clock's events outside a call (the session flow). */
export interface SessionEventHandlers {
  lobbyAdmitted(e: ServerEvents['lobby:admitted']): void;
  lobbyDenied(e: ServerEvents['lobby:denied']): void;
  sessionTimeWarning(e: ServerEvents['session:time-warning']): void;
}

/** What the app does with each server event; the events of the current call go to `calls`. */
export interface ServerEventHandlers {
  readonly calls: CallEventHandlers;
  readonly sessions: SessionEventHandlers;
  /** Every event and connection change, as it arrives (the debug log). */
  record(event: string, payload?: unknown): void;
  callIncoming(e: ServerEvents['call:incoming']): void;
  callCancelled(e: ServerEvents['call:cancelled']): void;
  answeredElsewhere(e: ServerEvents['call:answered-elsewhere']): void;
  presenceChanged(e: ServerEvents['presence:changed']): void;
  callEnded(e: ServerEvents['call:ended']): void;
  hostRemoved(e: ServerEvents['host:removed']): void;
  connectionChanged(connected: boolean, reason: string): void;
}

/** Routes the server events of one connection to their handlers, recording each first. */
export function routeServerEvents(s: Signaling, h: ServerEventHandlers): void {
  const on = <E extends ServerEventName>(event: E, fn: (e: ServerEvents[E]) => void) =>
    s.on(event, (e) => {
      h.record(event, e);
      fn(e);
    });
  const forCall = <E extends ServerEventName>(event: E, fn: (call: ActiveCall, e: ServerEvents[E]) => void) =>
    on(event, (e) => {
      const call = h.calls.current;
      if (call && (e as { callId?: string }).callId === call.id) fn(call, e);
    });

  on(S2C.callIncoming, (e) => h.callIncoming(e));
  on(S2C.callCancelled, (e) => h.callCancelled(e));
  on(S2C.answeredElsewhere, (e) => h.answeredElsewhere(e));
  on(S2C.presenceChanged, (e) => h.presenceChanged(e));
  on(S2C.presenceBatch, (e) => e.changes.forEach((c) => h.presenceChanged(c)));
  on(S2C.callEnded, (e) => h.callEnded(e));
  on(S2C.lobbyAdmitted, (e) => h.sessions.lobbyAdmitted(e));
  on(S2C.lobbyDenied, (e) => h.sessions.lobbyDenied(e));
  on(S2C.hostRemoved, (e) => h.hostRemoved(e));
  on(S2C.sessionTimeWarning, (e) => h.sessions.sessionTimeWarning(e));
  forCall(S2C.lobbyKnock, (_call, e) => h.calls.sessionPanel?.knock(e));
  forCall(S2C.lobbySentBack, (call) => h.calls.lobbySentBack(call));
  forCall(S2C.hostMuted, (call, e) => void h.calls.hostMuted(call, e.source));
  forCall(S2C.sessionLocked, (_call, e) => h.calls.sessionPanel?.setLocked(e.locked));
  forCall(S2C.sessionExtended, (_call, e) => h.calls.sessionPanel?.extended(e.endsAt));
  forCall(S2C.callRinging, (call, e) => call.updateParticipant(e.userId, 'ringing'));
  forCall(S2C.callDeclined, (call, e) => call.updateParticipant(e.userId, 'left'));
  forCall(S2C.participantJoined, (call, e) => h.calls.participantJoined(call, e));
  forCall(S2C.participantReconnecting, (call, e) => call.updateParticipant(e.userId, 'reconnecting'));
  forCall(S2C.participantLeft, (call, e) => h.calls.participantLeft(call, e));
  forCall(S2C.mediaToggled, (call, e) => call.mediaToggled(e));
  forCall(S2C.newProducer, (call, e) => void call.media.consume(e));
  forCall(S2C.mediaReconnect, (call, e) => void h.calls.mediaReconnect(call, e));
  forCall(S2C.producerClosed, (call, e) => call.media.producerClosed(e.producerId));
  forCall(S2C.consumerClosed, (call, e) => call.media.consumerClosed(e.consumerId));

  s.onConnection((connected, reason) => {
    h.record(connected ? 'connect' : 'disconnect');
    h.connectionChanged(connected, reason);
  });
}
