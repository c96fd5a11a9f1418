import { createHmac } from 'node:crypto';

import type { IceServer } from './ice-server.types';

export interface TurnSettings {
  /** turn:/turns: URLs of the organization's own TURN server; empty: no TURN entry is minted. */
  urls: string[];
  /** coturn's static-auth-secret. */
  secret?: string;
  ttlSeconds: number;
}

/**
 * TURN REST credentials (coturn's `use-auth-secret`): username `<unix expiry>:<userId>`,
 * credential base64(HMAC-SHA1(secret, username)). coturn checks them with the shared secret
 * alone, so nothing is stored and a leaked credential dies at its expiry.
 */
export function mintTurnCredentials(secret: string, userId: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The settings that decide a user's ICE servers. */
export interface IceSettings {
  TURN_URLS: string[];
  TURN_SECRET?: string;
  TURN_CREDENTIAL_TTL_SECONDS: number;
  ICE_SERVERS: IceServer[];
}

/** `iceServersFor` with the server's settings: what `call:join` and `media:restart-ice` hand out. */
export function iceServersFromSettings(settings: IceSettings, userId: string, nowMs = Date.now()): IceServer[] {
  return iceServersFor(userId, { urls: settings.TURN_URLS, secret: settings.TURN_SECRET, ttlSeconds: settings.TURN_CREDENTIAL_TTL_SECONDS }, settings.ICE_SERVERS, nowMs);
}

/** What one `call:join` ack carries: a TURN entry minted for this user now, then the static entries. */
export function iceServersFor(userId: string, turn: TurnSettings, staticServers: IceServer[], nowMs = Date.now()): IceServer[] {
  if (turn.urls.length === 0 || !turn.secret) return staticServers;
  return [{ urls: turn.urls, ...mintTurnCredentials(turn.secret, userId, turn.ttlSeconds, nowMs) }, ...staticServers];
}
