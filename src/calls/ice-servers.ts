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

/** What one `call:join` ack carries: a TURN entry minted for this user now, then the static entries. */
export function iceServersFor(userId: string, turn: TurnSettings, staticServers: IceServer[], nowMs = Date.now()): IceServer[] {
  if (turn.urls.length === 0 || !turn.secret) return staticServers;
  return [{ urls: turn.urls, ...mintTurnCredentials(turn.secret, userId, turn.ttlSeconds, nowMs) }, ...staticServers];
}
