import type { Role } from '../common/identity';
import type { BusyEntry, PresenceStore } from './presence.store';

/** The in-process twin of the Redis store: same contract, same TTL semantics, one process only. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly devices = new Map<string, Map<string, number>>();
  private readonly locks = new Map<string, { callId: string; expiresAt: number }>();
  private readonly userRoles = new Map<string, Role>();

  constructor(private readonly now: () => number = Date.now) {}

  async addDevice(userId: string, deviceId: string, ttlMs: number, role: Role = 'member'): Promise<void> {
    this.userRoles.set(userId, role);
    let d = this.devices.get(userId);
    if (!d) this.devices.set(userId, (d = new Map()));
    d.set(deviceId, this.now() + ttlMs);
  }

  async touchDevice(userId: string, deviceId: string, ttlMs: number): Promise<void> {
    const d = this.devices.get(userId);
    if (d?.has(deviceId)) d.set(deviceId, this.now() + ttlMs);
  }

  async removeDevice(userId: string, deviceId: string): Promise<void> {
    const d = this.devices.get(userId);
    d?.delete(deviceId);
    if (d && d.size === 0) this.devices.delete(userId);
  }

  async deviceCount(userId: string): Promise<number> {
    return this.liveDevices(userId);
  }

  async roles(userIds: string[]): Promise<(Role | null)[]> {
    return userIds.map((u) => this.userRoles.get(u) ?? null);
  }

  async onlineUserIds(): Promise<string[]> {
    // Roles of users gone offline are pruned here, lazily, as the Redis store does.
    for (const u of this.userRoles.keys()) if (this.liveDevices(u) === 0) this.userRoles.delete(u);
    return [...this.devices.keys()].filter((u) => this.liveDevices(u) > 0);
  }

  private liveDevices(userId: string): number {
    const d = this.devices.get(userId);
    if (!d) return 0;
    const now = this.now();
    for (const [id, exp] of d) if (exp <= now) d.delete(id);
    if (d.size === 0) this.devices.delete(userId);
    return d.size;
  }

  private lock(userId: string) {
    const l = this.locks.get(userId);
    if (l && l.expiresAt <= this.now()) {
      this.locks.delete(userId);
      return undefined;
    }
    return l;
  }

  async acquireBusy(userId: string, callId: string, ttlMs: number): Promise<boolean> {
    const l = this.lock(userId);
    if (l && l.callId !== callId) return false;
    this.locks.set(userId, { callId, expiresAt: this.now() + ttlMs });
    return true;
  }

  async refreshBusy(userId: string, callId: string, ttlMs: number): Promise<boolean> {
    const l = this.lock(userId);
    if (!l || l.callId !== callId) return false;
    l.expiresAt = this.now() + ttlMs;
    return true;
  }

  async releaseBusy(userId: string, callId: string): Promise<boolean> {
    const l = this.lock(userId);
    if (!l || l.callId !== callId) return false;
    this.locks.delete(userId);
    return true;
  }

  async busyHolder(userId: string): Promise<string | null> {
    return this.lock(userId)?.callId ?? null;
  }

  async busyEntries(): Promise<BusyEntry[]> {
    return [...this.locks.keys()].flatMap((userId) => {
      const l = this.lock(userId);
      return l ? [{ userId, callId: l.callId }] : [];
    });
  }

  async close(): Promise<void> {
    this.devices.clear();
    this.locks.clear();
  }
}
