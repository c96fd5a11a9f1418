import { Injectable } from '@nestjs/common';
import { PresenceService } from '../presence/presence.service';
import type { LiveCall } from './live-call';

/**
 * The live calls this gateway hosts and which call each user is in. Lives in this process
 * (with several gateways, each holds the calls it hosts; the busy locks in Redis keep users
 * in one call across them).
 */
@Injectable()
export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();
  /** userId -> callId of the one call the user is in (ringing, joined or reconnecting). */
  private readonly userCall = new Map<string, string>();

  constructor(private readonly presence: PresenceService) {}

  /** Starts hosting a call. */
  register(call: LiveCall): void {
    this.calls.set(call.id, call);
  }

  /** Stops hosting it (it ended). */
  forget(callId: string): void {
    this.calls.delete(callId);
  }

  get(callId: string): LiveCall | undefined {
    return this.calls.get(callId);
  }

  has(callId: string): boolean {
    return this.calls.has(callId);
  }

  liveCalls(): LiveCall[] {
    return [...this.calls.values()];
  }

  liveCallIds(): string[] {
    return [...this.calls.keys()];
  }

  callOf(userId: string): LiveCall | undefined {
    const id = this.userCall.get(userId);
    return id ? this.calls.get(id) : undefined;
  }

  /** Marks a user as in this call on this gateway (the busy lock is taken by the caller) and tells presence. */
  indexUser(userId: string, callId: string): void {
    this.userCall.set(userId, callId);
    void this.presence.announce(userId);
  }

  /** The user is no longer in that call here (a newer call of theirs is left alone). */
  unindexUser(userId: string, callId: string): void {
    if (this.userCall.get(userId) === callId) this.userCall.delete(userId);
  }

  busyUserIds(): string[] {
    return [...this.userCall.keys()];
  }
}
