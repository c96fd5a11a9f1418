import { Inject, Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { isStaff, type Identity } from '../common/identity';
import type { Audience, ParticipantChannel } from '../common/participant-channel';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ServerEventName, ServerEvents } from './catalogue';

type PresenceChange = ServerEvents['presence:changed'];
/**
 * Sockets written per event-loop turn when a presence batch goes out. Each step of a call
 * request (a Redis reply, the next socket message) waits for at most one chunk: 20 writes are
 * about 0.25 ms here, so a call setup of many such steps is held up by a few ms, not by the
 * whole fan-out (bench:gateway: 250 per turn gave setup p99 45 ms at 5,000 members, 20 gave 16 ms).
 */
const FAN_OUT_CHUNK = 20;
/** Between gateways (socket.io's serverSideEmit): a presence change, for the other gateways' batched sockets. */
const BATCH_RELAY = 'hearth:presence-batch';

export const userRoom = (userId: string) => `user:${userId}`;
/** `audience:members` (every signed-in member, never guests) and `audience:staff` (hosts and admins). */
export const audienceRoom = (audience: Audience) => `audience:${audience}`;
/** The same audiences for sockets that asked for batched presence. */
export const batchedAudienceRoom = (audience: Audience) => `audience:${audience}:batched`;

/** The audience rooms a socket of this identity joins. */
export function audiencesOf(user: Identity): Audience[] {
  if (user.scope) return [];
  return isStaff(user.role) ? ['members', 'staff'] : ['members'];
}

/** The audience rooms a socket joins: the batched ones when it asked for `presence:batch`. */
export function audienceRoomsOf(user: Identity, batched: boolean): string[] {
  return audiencesOf(user).map(batched ? batchedAudienceRoom : audienceRoom);
}

/** The call domain's way out to devices, over socket.io rooms (one room per user). */
@Injectable()
export class SocketChannel implements ParticipantChannel<ServerEvents> {
  private server?: Server;
  /** Presence changes not yet sent to the batched audiences: per audience, the newest change per user. */
  private readonly pending = new Map<Audience, Map<string, PresenceChange>>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'PRESENCE_BATCH_MS' | 'REDIS_URL'>) {}

  attach(server: Server): void {
    this.server = server;
    this.detached = false;
    server.on(BATCH_RELAY, (audience: Audience, change: PresenceChange) => this.queue(audience, change));
  }

  /** The socket server is closing: later emits are dropped (nobody is connected to receive them). */
  detach(): void {
    this.detached = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.pending.clear();
  }

  private detached = false;

  private io(): Server | undefined {
    if (this.detached) return undefined;
    if (!this.server) throw new Error('socket server not attached yet');
    return this.server;
  }

  dropSocket(socketId: string): void {
    // The transport closes, not the socket.io session: the client sees a network drop and reconnects by itself.
    this.io()?.sockets.sockets.get(socketId)?.conn.close();
  }

  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEvents[E]): void {
    this.io()?.to(userRoom(userId)).emit(event, payload);
  }

  toSocket<E extends ServerEventName>(socketId: string, event: E, payload: ServerEvents[E]): void {
    this.io()?.to(socketId).emit(event, payload);
  }

  toUserExcept<E extends ServerEventName>(userId: string, socketIds: string | string[], event: E, payload: ServerEvents[E]): void {
    this.io()?.to(userRoom(userId)).except(socketIds).emit(event, payload);
  }

  /** Sockets connected to this gateway process. */
  localConnections(): number {
    return this.server?.engine.clientsCount ?? 0;
  }

  /**
   * A `presence:changed` goes to the audience's sockets at once, and into the next batch of
   * the sockets that asked for batches: this gateway's now, every other gateway's through the
   * adapter (each gateway batches for its own sockets; see flush()).
   */
  toAudience<E extends ServerEventName>(audience: Audience, event: E, payload: ServerEvents[E]): void {
    const io = this.io();
    if (!io) return;
    io.to(audienceRoom(audience)).emit(event, payload);
    if (event !== 'presence:changed') return;
    if (this.config.REDIS_URL) io.serverSideEmit(BATCH_RELAY, audience, payload);
    this.queue(audience, payload as PresenceChange);
  }

  /** Keeps the newest change of each user for this gateway's batched sockets of the audience, if it has any. */
  private queue(audience: Audience, change: PresenceChange): void {
    if (this.detached || !this.server?.of('/').adapter.rooms.get(batchedAudienceRoom(audience))?.size) return;
    let changes = this.pending.get(audience);
    if (!changes) this.pending.set(audience, (changes = new Map()));
    const had = changes.get(change.userId);
    if (!had || had.at <= change.at) changes.set(change.userId, change);
    this.flushTimer ??= setTimeout(() => this.flush(), this.config.PRESENCE_BATCH_MS);
  }

  /**
   * At most every PRESENCE_BATCH_MS: each audience's pending changes in one `presence:batch`
   * frame to each of this gateway's batched sockets, a chunk of sockets per event-loop turn.
   */
  private flush(): void {
    this.flushTimer = null;
    const batches = [...this.pending];
    this.pending.clear();
    const io = this.io();
    if (!io) return;
    for (const [audience, changes] of batches) {
      const room = io.of('/').adapter.rooms.get(batchedAudienceRoom(audience));
      if (!room?.size) continue;
      const ids = [...room];
      const payload = { changes: [...changes.values()] };
      const send = (from: number) => {
        if (this.detached) return;
        io.local.to(ids.slice(from, from + FAN_OUT_CHUNK)).emit('presence:batch', payload);
        if (from + FAN_OUT_CHUNK < ids.length) setImmediate(() => send(from + FAN_OUT_CHUNK));
      };
      send(0);
    }
  }
}
