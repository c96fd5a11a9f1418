import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { isStaff, type Identity } from '../common/identity';
import type { Audience, ParticipantChannel } from '../common/participant-channel';
import type { ServerEventName, ServerEvents } from './catalogue';

export const userRoom = (userId: string) => `user:${userId}`;
/** `audience:members` (every signed-in member, never guests) and `audience:staff` (hosts and admins). */
export const audienceRoom = (audience: Audience) => `audience:${audience}`;

/** The audience rooms a socket of this identity joins. */
export function audiencesOf(user: Identity): Audience[] {
  if (user.scope) return [];
  return isStaff(user.role) ? ['members', 'staff'] : ['members'];
}

/** The call domain's way out to devices, over socket.io rooms (one room per user). */
@Injectable()
export class SocketChannel implements ParticipantChannel<ServerEvents> {
  private server?: Server;

  attach(server: Server): void {
    this.server = server;
    this.detached = false;
  }

  /** The socket server is closing: later emits are dropped (nobody is connected to receive them). */
  detach(): void {
    this.detached = true;
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

  toAudience<E extends ServerEventName>(audience: Audience, event: E, payload: ServerEvents[E]): void {
    this.io()?.to(audienceRoom(audience)).emit(event, payload);
  }
}
