import type { MediaKind } from '../media/media.types';
import type { CallStatus, ParticipantRole, ParticipantState } from './call-states';
import { CallParticipant, LiveCall } from './live-call';
import { SessionControls, type SessionInfo } from './session-controls';

/**
 * A live call as JSON: what another node needs to go on hosting it (a move, or a takeover after
 * its node was lost). Its owner mirrors it on every change; media objects are not in it (they
 * are rebuilt on the new node's workers), nor are timers (re-armed from the times in it).
 */
export interface CallSnapshot {
  id: string;
  initiatorId: string;
  media: MediaKind;
  conversationId: string | null;
  status: CallStatus;
  createdAt: string;
  answeredAt: string | null;
  participants: {
    userId: string;
    name: string;
    role: ParticipantRole;
    state: ParticipantState;
    socketId: string | null;
    nodeId: string | null;
    joinedAt: string | null;
    audioEnabled: boolean;
    videoEnabled: boolean;
  }[];
  session: null | {
    info: Omit<SessionInfo, 'startsAt' | 'answeredAt'> & { startsAt: string; answeredAt: string | null };
    hostIds: string[];
    admitted: string[];
    blocked: string[];
    guestInvites: [string, string][];
    locked: boolean;
    endsAt: string;
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const date = (s: string | null) => (s ? new Date(s) : null);

export function snapshotOf(call: LiveCall): CallSnapshot {
  const c = call.controls;
  return {
    id: call.id,
    initiatorId: call.initiatorId,
    media: call.media,
    conversationId: call.conversationId,
    status: call.status,
    createdAt: call.createdAt.toISOString(),
    answeredAt: iso(call.answeredAt),
    participants: [...call.participants.values()]
      .filter((p) => p.state !== 'left')
      .map((p) => ({
        userId: p.userId,
        name: p.name,
        role: p.role,
        state: p.state,
        socketId: p.socketId,
        nodeId: p.nodeId,
        joinedAt: iso(p.joinedAt),
        audioEnabled: p.audioEnabled,
        videoEnabled: p.videoEnabled,
      })),
    session: c
      ? {
          info: { ...c.info, startsAt: c.info.startsAt.toISOString(), answeredAt: iso(c.info.answeredAt) },
          hostIds: [...c.hostIds],
          admitted: [...c.admitted],
          blocked: [...c.blocked],
          guestInvites: [...c.guestInvites],
          locked: c.locked,
          endsAt: c.endsAt.toISOString(),
        }
      : null,
  };
}

/** The call as it was: same states, no new events (nothing happened to it; it only moved). */
export function restoreCall(s: CallSnapshot): LiveCall {
  const call = new LiveCall(s.id, s.initiatorId, s.media, s.conversationId, new Date(s.createdAt));
  call.status = s.status;
  call.answeredAt = date(s.answeredAt);
  for (const x of s.participants) {
    const p = new CallParticipant(x.userId, x.name, x.role);
    p.state = x.state;
    p.socketId = x.socketId;
    p.nodeId = x.nodeId;
    p.joinedAt = date(x.joinedAt);
    p.audioEnabled = x.audioEnabled;
    p.videoEnabled = x.videoEnabled;
    call.addParticipant(p);
  }
  if (s.session) {
    const controls = new SessionControls({ ...s.session.info, startsAt: new Date(s.session.info.startsAt), answeredAt: date(s.session.info.answeredAt) });
    controls.hostIds = new Set(s.session.hostIds);
    for (const id of s.session.admitted) controls.admitted.add(id);
    for (const id of s.session.blocked) controls.blocked.add(id);
    for (const [guest, invite] of s.session.guestInvites) controls.guestInvites.set(guest, invite);
    controls.locked = s.session.locked;
    controls.endsAt = new Date(s.session.endsAt);
    call.controls = controls;
  }
  return call;
}
