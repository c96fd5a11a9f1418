import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { GUEST_ID_PREFIX, isStaff, type Identity } from '../common/identity';
import { PARTICIPANT_CHANNEL, type ParticipantChannel } from '../common/participant-channel';
import { DomainError } from '../common/domain-error';
import { PRESENCE_STORE, statusOf, type PresenceEvents, type PresenceStatus, type PresenceStore } from './presence.store';

/**
 * Who is online, busy or offline, across all of a user's devices and every gateway process,
 * told only to those PRESENCE_SCOPE allows: `organization` (default) every signed-in member,
 * `staff` hosts and admins see everyone while members see only hosts and admins, `none` nobody.
 * Session guests are never in presence and never see it.
 */
@Injectable()
export class PresenceService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private readonly localDevices = new Map<string, { userId: string; role: Identity['role'] }>(); // deviceId -> who (this process)
  private readonly returned: (() => Promise<void> | void)[] = [];
  private heartbeat?: NodeJS.Timeout;
  /** Per user, the announcement in flight (entries go once it is sent). */
  private readonly announcing = new Map<string, Promise<void>>();
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PRESENCE_STORE) readonly store: PresenceStore,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: ParticipantChannel<PresenceEvents>,
  ) {}

  private get ttlMs(): number {
    return this.config.DEVICE_TTL_SECONDS * 1000;
  }

  onModuleInit(): void {
    this.heartbeat = setInterval(() => void this.touchAll(), this.ttlMs / 3);
    this.heartbeat.unref();
    this.store.onReconnect?.(() => void this.rebuild());
  }

  /** Also run when the store comes back (BusyLocks takes its locks back then). */
  whenStoreReturns(listener: () => Promise<void> | void): void {
    this.returned.push(listener);
  }

  /**
   * The store was lost and is back (perhaps empty, as a restarted Redis): this gateway's devices
   * are registered again and announced, then everyone listening takes their state back.
   */
  private async rebuild(): Promise<void> {
    this.logger.warn({ devices: this.localDevices.size }, 'presence store is back: rebuilding presence and busy locks from the live state');
    try {
      for (const [deviceId, { userId, role }] of this.localDevices) await this.store.addDevice(userId, deviceId, this.ttlMs, role);
      for (const userId of new Set([...this.localDevices.values()].map((d) => d.userId))) void this.announce(userId);
      for (const listener of this.returned) await listener();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'presence rebuild failed; the next heartbeat tries again');
    }
  }

  /** Shutting down: sockets are about to close; nobody needs their presence broadcast any more. */
  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  onApplicationShutdown(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  async deviceConnected(user: Identity, deviceId: string): Promise<void> {
    if (user.scope) return; // a session guest: not in anyone's presence
    const { userId } = user;
    this.localDevices.set(deviceId, { userId, role: user.role });
    const before = await this.store.deviceCount(userId);
    await this.store.addDevice(userId, deviceId, this.ttlMs, user.role);
    if (before === 0) await this.announce(userId);
  }

  async deviceDisconnected(userId: string, deviceId: string): Promise<void> {
    if (!this.localDevices.has(deviceId)) return;
    this.localDevices.delete(deviceId);
    await this.store.removeDevice(userId, deviceId);
    if ((await this.store.deviceCount(userId)) === 0) await this.announce(userId);
  }

  async status(userId: string): Promise<PresenceStatus> {
    return statusOf(this.store, userId);
  }

  async list(who: Identity): Promise<{ userId: string; status: PresenceStatus }[]> {
    // Guests from an invite link see nobody's presence.
    if (who.scope) throw new DomainError('FORBIDDEN', 'presence is not available to session guests');
    const scope = this.config.PRESENCE_SCOPE;
    if (scope === 'none') return [];
    let users = await this.store.onlineUserIds();
    if (scope === 'staff' && !isStaff(who.role)) {
      const roles = await this.store.roles(users);
      users = users.filter((_, i) => isStaff(roles[i]));
    }
    return Promise.all(users.map(async (userId) => ({ userId, status: await this.status(userId) })));
  }

  /**
   * Tells those who may see it a user's current status (see the class comment). One user's
   * announcements go out one after another, each reading the status afresh, so a quick online ->
   * offline never reaches clients as offline -> online; each carries `at` (when the status was
   * read) so a client can drop one that arrives late from another gateway.
   */
  announce(userId: string): Promise<void> {
    if (this.closing || this.config.PRESENCE_SCOPE === 'none' || userId.startsWith(GUEST_ID_PREFIX)) return Promise.resolve();
    const prev = this.announcing.get(userId) ?? Promise.resolve();
    const next = prev.then(() => this.announceNow(userId));
    this.announcing.set(userId, next);
    void next.finally(() => {
      if (this.announcing.get(userId) === next) this.announcing.delete(userId);
    });
    return next;
  }

  private async announceNow(userId: string): Promise<void> {
    try {
      const at = Date.now();
      const payload = { userId, status: await this.status(userId), at };
      if (this.config.PRESENCE_SCOPE === 'organization') return this.channel.toAudience('members', 'presence:changed', payload);
      // staff: a host's or admin's presence goes to every member, anyone else's to staff only.
      const [role] = await this.store.roles([userId]);
      this.channel.toAudience(isStaff(role) ? 'members' : 'staff', 'presence:changed', payload);
    } catch (err) {
      this.logger.warn({ userId, err: (err as Error).message }, 'presence announce failed');
    }
  }

  private async touchAll(): Promise<void> {
    for (const [deviceId, { userId }] of this.localDevices) {
      await this.store.touchDevice(userId, deviceId, this.ttlMs).catch(() => undefined);
    }
  }
}
