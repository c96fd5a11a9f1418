import { C2S, type PresenceStatus, type ServerEvents } from '../../src/signaling/catalogue';
import type { Signaling } from './signaling';

export interface PresenceEntry {
  userId: string;
  status: PresenceStatus;
}

type Change = ServerEvents['presence:changed'];

/**
 * Who else is online or busy: a `presence:list` snapshot kept live by `presence:changed`.
 * Offline users are dropped; this client's own user is never listed.
 */
export class Presence {
  private readonly users = new Map<string, PresenceStatus>();
  /** Changes received while a snapshot is loading, replayed on top of it. */
  private buffered: Change[] | null = null;
  private loads = 0;
  /** The newest `at` seen per user. */
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly selfId: string,
    private readonly onChange: (users: PresenceEntry[]) => void,
  ) {}

  /** Everyone listed, sorted by user id. */
  list(): PresenceEntry[] {
    return [...this.users]
      .map(([userId, status]) => ({ userId, status }))
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  status(userId: string): PresenceStatus {
    return this.users.get(userId) ?? 'offline';
  }

  /** `presence:changed`; one older than the newest already seen for that user (another gateway's, late) is dropped. */
  changed(change: Change): void {
    if ((this.seenAt.get(change.userId) ?? 0) > change.at) return;
    this.seenAt.set(change.userId, change.at);
    if (this.buffered) this.buffered.push(change);
    else if (this.apply(change)) this.onChange(this.list());
  }

  /**
   * Loads a fresh snapshot (after connecting, and after a reconnect, when changes may have been
   * missed). Only the latest load counts; changes that arrive meanwhile are applied after it.
   */
  async load(signaling: Signaling): Promise<void> {
    const load = ++this.loads;
    const buffered: Change[] = (this.buffered = []);
    let snapshot: PresenceEntry[] | null = null;
    try {
      snapshot = (await signaling.request(C2S.presenceList, {})).users;
    } finally {
      if (load === this.loads) {
        this.buffered = null;
        if (snapshot) {
          this.users.clear();
          for (const entry of snapshot) this.apply(entry);
        }
        for (const change of buffered) this.apply(change);
        this.onChange(this.list());
      }
    }
  }

  /** Returns whether anything changed. */
  private apply({ userId, status }: PresenceEntry): boolean {
    if (userId === this.selfId || this.users.get(userId) === status) return false;
    if (status === 'offline') return this.users.delete(userId);
    this.users.set(userId, status);
    return true;
  }
}
