import { createHmac } from 'node:crypto';

/**
 * The kinds of token this server signs, each under its own key derived from JWT_SECRET, and
 * each carrying its kind in `typ`: an invite can never pass as a guest token or an identity,
 * nor a guest token as an invite. Identity tokens (no `typ`) are signed with JWT_SECRET itself,
 * as the organization's own apps sign them.
 */
export type TokenKind = 'invite' | 'guest';

export function tokenKey(jwtSecret: string, kind: TokenKind): string {
  return createHmac('sha256', jwtSecret).update(`hearth-sfu ${kind} token v1`).digest('hex');
}
