/**
 * Presence and busy locks behind one contract, with a Redis store (shared by every gateway
 * process) and an in-process twin (single process, zero setup). Both pass the same contract
 * suite (test/medium/presence-store.contract.test.ts).
 */
import type { Role } from '../common/identity';

export type PresenceStatus = 'online' | 'busy' | 'offline';

/** What presence tells devices. */
export interface PresenceEvents {
  /** `at` (extension): when the server read this status, ms since the epoch; a client keeps the newest per user. */
  'presence:changed': { userId: string; status: PresenceStatus; at: number };
  /**
   * Extension: the same changes, many per frame, for a socket that asked for them in its
   * handshake (`auth.presence: 'batched'`) instead of one `presence:changed` per change: at
   * most one frame per PRESENCE_BATCH_MS from each gateway, the newest change of each user.
   */
  'presence:batch': { changes: { userId: string; status: PresenceStatus; at: number }[] };
}

export interface BusyEntry {
  userId: string;
  callId: string;
}

export interface PresenceStore {
  /** A device (socket) of a user is connected; it counts until removed or its TTL lapses. The user's role is kept for presence scoping. */
  addDevice(userId: string, deviceId: string, ttlMs: number, role?: Role): Promise<void>;
  /** The roles users last connected with (null: unknown; forgotten lazily once they are offline), in the order asked. */
  roles(userIds: string[]): Promise<(Role | null)[]>;
  /** Keeps a device alive (heartbeat). */
  touchDevice(userId: string, deviceId: string, ttlMs: number): Promise<void>;
  removeDevice(userId: string, deviceId: string): Promise<void>;
  deviceCount(userId: string): Promise<number>;
  onlineUserIds(): Promise<string[]>;

  /** SET NX PX: true when the lock is now held for this call (also when it already was). Fails fast, never waits. */
  acquireBusy(userId: string, callId: string, ttlMs: number): Promise<boolean>;
  /** Extends the lock only while this call still holds it. */
  refreshBusy(userId: string, callId: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: removes the lock only if this call holds it. */
  releaseBusy(userId: string, callId: string): Promise<boolean>;
  busyHolder(userId: string): Promise<string | null>;
  busyEntries(): Promise<BusyEntry[]>;

  /** Calls `fn` each time the store is reachable again after it was lost (Redis restarted, a partition healed); never for the in-process twin. */
  onReconnect?(fn: () => void): void;

  close(): Promise<void>;
}

export const PRESENCE_STORE = Symbol('PRESENCE_STORE');

export async function statusOf(store: PresenceStore, userId: string): Promise<PresenceStatus> {
  if ((await store.deviceCount(userId)) === 0) return 'offline';
  return (await store.busyHolder(userId)) ? 'busy' : 'online';
}
