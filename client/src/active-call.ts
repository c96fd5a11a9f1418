import type { CallJoinAck, ParticipantRole, ParticipantState, ServerEvents } from '../../src/signaling/catalogue';
import { MediaConnection, type MediaConnectionEvents } from './media-connection';
import { Roster } from './roster';
import type { Signaling } from './signaling';
import type { View } from './ui';

export type ProblemReporter = (message: string, err: unknown) => void;

/** One call this client is in: who else is there, its media session, and how it shows on screen. */
export class ActiveCall {
  readonly roster: Roster;
  readonly media: MediaConnection;
  isGroup = false;
  /** Who started the call, from the join ack (null until it arrives). */
  initiatorId: string | null = null;
  /** A scheduled session's end (from the join ack); null for an ordinary call. */
  endsAt: string | null = null;
  /** We are a host of this session's call. */
  hosting = false;
  private joined = false;

  constructor(
    readonly id: string,
    private readonly selfId: string,
    signaling: Signaling,
    private readonly view: View,
    private readonly problem: ProblemReporter,
  ) {
    this.roster = new Roster(selfId);
    this.media = new MediaConnection(signaling, id, this.mediaEvents(), { relayOnly: view.forceRelay.checked });
  }

  /** A session's hosts end it; either side ends a 1:1; only the initiator (the host) ends a group call for all. */
  get canEnd(): boolean {
    if (this.endsAt) return this.hosting; // a session: its hosts only
    return !this.isGroup || this.initiatorId === this.selfId;
  }

  /** The join ack is a snapshot newer than any event received before it. */
  applyJoin(ack: CallJoinAck): void {
    this.isGroup = ack.participants.length > 2;
    this.initiatorId = ack.initiatorId;
    this.endsAt = ack.endsAt ?? null;
    this.joined = true;
    for (const p of ack.participants) this.updateParticipant(p.userId, p.state, p.name, p.role);
    for (const pr of ack.producers) {
      if (pr.paused) this.mediaToggled({ callId: this.id, userId: pr.userId, source: pr.source, enabled: false });
    }
    this.view.setStatus(this.roster.describe());
  }

  updateParticipant(userId: string, state: ParticipantState, name?: string, role?: ParticipantRole): void {
    const p = this.roster.set(userId, state, name, role);
    if (!p) return;
    if (this.roster.isPresent(p)) {
      this.view.upsertTile(p.userId, p.name, p.state, p.host);
      this.view.setBadges(p.userId, p, p.state);
    } else {
      this.view.removeTile(p.userId);
    }
    if (this.joined) this.view.setStatus(this.roster.describe());
  }

  mediaToggled(e: ServerEvents['call:media-toggled']): void {
    const p = this.roster.get(e.userId);
    if (!p) return;
    if (e.source === 'mic') p.micOff = !e.enabled;
    else p.cameraOff = !e.enabled;
    this.view.setBadges(p.userId, p, p.state);
  }

  refreshControls(busy: boolean): void {
    const s = this.media;
    // Mute and camera wait while the media is being rebuilt after a worker change.
    this.view.setControls({ micEnabled: s.micEnabled, cameraEnabled: s.cameraEnabled, hasCamera: s.hasCamera, canEnd: this.canEnd, busy: busy || s.reconnecting });
  }

  private mediaEvents(): MediaConnectionEvents {
    return {
      remoteTrackAdded: (r) => {
        const p = this.roster.get(r.userId) ?? this.roster.set(r.userId, 'joined');
        if (p) this.view.upsertTile(p.userId, p.name, p.state, p.host);
        this.view.addRemoteTrack(r.userId, r.track);
      },
      remoteTrackRemoved: (r) => this.view.removeRemoteTrack(r.userId, r.track),
      localPreviewChanged: (stream) => this.view.setLocalPreview(stream),
      problem: (message, err) => this.problem(message, err),
    };
  }
}
