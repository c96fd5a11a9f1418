/** Who is asking: the identity a verified token names. Shared by calls/, presence/ and the edges. */

export const ROLES = ['member', 'host', 'admin'] as const;
/** A person's signed-in role (not their part in one call). */
export type Role = (typeof ROLES)[number];

/** Session guests' user ids begin with this; no other identity may (the token verifier refuses them). */
export const GUEST_ID_PREFIX = 'guest-';

/** Hosts and admins: they run sessions, and see presence under PRESENCE_SCOPE=staff. */
export const isStaff = (role: Role | null | undefined): boolean => role === 'host' || role === 'admin';

export interface Identity {
  userId: string;
  name: string;
  role: Role;
  /** Guests from an invite link: the one session (and its call) their token is good for, and the invite it came from. */
  scope?: GuestScope;
}

export interface GuestScope {
  sessionId: string;
  callId: string;
  inviteId: string;
  /** The session's invite version when the invite was issued: a newer one revokes it. */
  inviteVersion: number;
}
