/** Who is asking: the identity a verified token names. Shared by calls/, presence/ and the edges. */

export const ROLES = ['member', 'host', 'admin'] as const;
/** A person's signed-in role (not their part in one call). */
export type Role = (typeof ROLES)[number];

export interface Identity {
  userId: string;
  name: string;
  role: Role;
  /** Guests from an invite link: the one session (and its call) their token is good for. */
  scope?: { sessionId: string; callId: string };
}
