import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import type { Identity } from '../calls/ports';
import { DomainError } from '../common/domain-error';
import { userIdSchema } from './payload-schemas';

const claims = z.object({
  sub: userIdSchema,
  name: z.string().trim().min(1).max(80).optional(),
  role: z.enum(['member', 'host', 'admin']).default('member'),
  exp: z.number(),
  typ: z.string().optional(),
  sid: z.string().uuid().optional(),
  cid: z.string().uuid().optional(),
});

/** Verifies a bearer JWT (HS256) and returns who it names; UNAUTHORIZED for anything else. */
export async function verifyToken(jwt: JwtService, token: unknown): Promise<Identity> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new DomainError('UNAUTHORIZED', 'missing token');
  let payload: unknown;
  try {
    payload = await jwt.verifyAsync(token, { algorithms: ['HS256'] });
  } catch {
    throw new DomainError('UNAUTHORIZED', 'invalid or expired token');
  }
  const parsed = claims.safeParse(payload);
  // Invite links are signed with the same secret but are not identities.
  if (!parsed.success || parsed.data.typ === 'invite') throw new DomainError('UNAUTHORIZED', 'token lacks required claims');
  const { sub, name, role, sid, cid } = parsed.data;
  return { userId: sub, name: name ?? sub, role, ...(sid && cid ? { scope: { sessionId: sid, callId: cid } } : {}) };
}

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
