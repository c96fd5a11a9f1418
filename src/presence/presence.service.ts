import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Identity } from '../common/identity';
import { PARTICIPANT_CHANNEL, type ParticipantChannel } from '../common/participant-channel';
import { DomainError } from '../common/domain-error';
import { PRESENCE_STORE, statusOf, type PresenceEvents, type PresenceStatus, type PresenceStore } from './presence.store';

/** Who is online, busy or offline, across all of a user's devices and every gateway process. */
@Injectable()
export class PresenceService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private readonly localDevices = new Map<string, string>(); // deviceId -> userId (this process)
  private heartbeat?: NodeJS.Timeout;
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
  }

  /** Shutting down: sockets are about to close; nobody needs their presence broadcast any more. */
  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  onApplicationShutdown(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  async deviceConnected(userId: string, deviceId: string): Promise<void> {
    this.localDevices.set(deviceId, userId);
    const before = await this.store.deviceCount(userId);
    await this.store.addDevice(userId, deviceId, this.ttlMs);
    if (before === 0) await this.announce(userId);
  }

  async deviceDisconnected(userId: string, deviceId: string): Promise<void> {
    this.localDevices.delete(deviceId);
    await this.store.removeDevice(userId, deviceId);
    if ((await this.store.deviceCount(userId)) === 0) await this.announce(userId);
  }

  async status(userId: string): Promise<PresenceStatus> {
    return statusOf(this.store, userId);
  }

  async list(who?: Identity): Promise<{ userId: string; status: PresenceStatus }[]> {
    // Guests from an invite link see nobody's presence.
    if (who?.scope) throw new DomainError('FORBIDDEN', 'presence is not available to session guests');
    const users = await this.store.onlineUserIds();
    return Promise.all(users.map(async (userId) => ({ userId, status: await this.status(userId) })));
  }

  /** Tells every connected client a user's current status. */
  async announce(userId: string): Promise<void> {
    if (this.closing) return;
    try {
      this.channel.broadcast('presence:changed', { userId, status: await this.status(userId) });
    } catch (err) {
      this.logger.warn({ userId, err: (err as Error).message }, 'presence announce failed');
    }
  }

  private async touchAll(): Promise<void> {
    for (const [deviceId, userId] of this.localDevices) {
      await this.store.touchDevice(userId, deviceId, this.ttlMs).catch(() => undefined);
    }
  }
}
