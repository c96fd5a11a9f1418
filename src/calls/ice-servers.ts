import { createHmac } from 'node:crypto';
import type { IceServer } from './ice-server.types';

/** The settings that decide a user's ICE servers. */
export interface IceSettings {
  /** turn:/turns: URLs of the organization's own TURN server; empty: no TURN entry is minted. */
  TURN_URLS: string[];
  /** coturn's static-auth-secret. */
  TURN_SECRET?: string;
  TURN_CREDENTIAL_TTL_SECONDS: number;
  ICE_SERVERS: IceServer[];
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

/** What `call:join`, `media:restart-ice` and `media:reconnect` hand out: a TURN entry minted for this user now, then the static entries. */
export function iceServersFromSettings(settings: IceSettings, userId: string, nowMs = Date.now()): IceServer[] {
  if (settings.TURN_URLS.length === 0 || !settings.TURN_SECRET) return settings.ICE_SERVERS;
  return [{ urls: settings.TURN_URLS, ...mintTurnCredentials(settings.TURN_SECRET, userId, settings.TURN_CREDENTIAL_TTL_SECONDS, nowMs) }, ...settings.ICE_SERVERS];
}
