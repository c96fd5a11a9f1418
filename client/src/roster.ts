import type { ParticipantRole, ParticipantState } from '../../src/signaling/catalogue';
import type { ParticipantView } from './debug-api';

export interface Participant extends ParticipantView {
  state: ParticipantState;
  micOff: boolean;
  cameraOff: boolean;
  /** A host of the session, as the server says (call:join ack, call:participant-joined). */
  host: boolean;
}

const PRESENT: ReadonlySet<ParticipantState> = new Set(['joined', 'reconnecting']);
const PENDING: ReadonlySet<ParticipantState> = new Set(['invited', 'ringing']);

/** The other participants of the current call, as this client has heard of them. */
export class Roster {
  private readonly others = new Map<string, Participant>();

  constructor(private readonly selfId: string) {}

  /** Records a participant's state; returns the entry, or null for ourselves. */
  set(userId: string, state: ParticipantState, name?: string, role?: ParticipantRole): Participant | null {
    if (userId === this.selfId) return null;
    const p = this.others.get(userId) ?? { userId, name: name ?? userId, state, micOff: false, cameraOff: false, host: false };
    p.state = state;
    if (name) p.name = name;
    // Only the server says who hosts: a name like "Dr. Smith (Host)" is just a name.
    if (role) p.host = role === 'host';
    this.others.set(userId, p);
    return p;
  }

  get(userId: string): Participant | undefined {
    return this.others.get(userId);
  }

  list(): Participant[] {
    return [...this.others.values()];
  }

  isPresent(p: Participant): boolean {
    return PRESENT.has(p.state);
  }

  /** Nobody else is in the call or still being rung. */
  get alone(): boolean {
    return !this.list().some((p) => PRESENT.has(p.state) || PENDING.has(p.state));
  }

  /** A one-line summary for the status bar. */
  describe(): string {
    const names = (pred: (p: Participant) => boolean) =>
      this.list()
        .filter(pred)
        .map((p) => (p.state === 'reconnecting' ? `${p.name} (reconnecting)` : p.name))
        .join(', ');
    const present = names((p) => PRESENT.has(p.state));
    const ringing = names((p) => PENDING.has(p.state));
    if (present && ringing) return `In call with ${present}; ringing ${ringing}…`;
    if (present) return `In call with ${present}`;
    if (ringing) return `Ringing ${ringing}…`;
    return 'Waiting for others…';
  }
}
