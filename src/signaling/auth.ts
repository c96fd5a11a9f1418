import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Identity } from '../common/identity';
import { DomainError } from '../common/domain-error';
import { GUEST_ID_PREFIX, ROLES, type Role } from '../common/identity';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { normalizeDisplayName } from '../common/display-name';
import { tokenKey } from '../common/token-keys';
import { userIdSchema } from './payload-schemas';

/** Why a token was refused: `details.reason` of the UNAUTHORIZED error (REST body, socket connect_error data); `keys_unavailable` is UNAVAILABLE. */
export type TokenRefusal =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'algorithm_not_allowed'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'unknown_key'
  | 'signature_invalid'
  | 'claims_invalid'
  | 'keys_unavailable';

// An identity provider that cannot be reached says nothing about the token: retry later.
const refuse = (reason: TokenRefusal, message: string) => new DomainError(reason === 'keys_unavailable' ? 'UNAVAILABLE' : 'UNAUTHORIZED', message, { reason });


/**
 * Identity tokens signed with JWT_SECRET (`npm run token`, the dev route, small setups' own
 * apps): no `typ`. Other claims are ignored; in particular no session scope comes from them.
 */
const identityClaims = z.object({
  sub: userIdSchema,
  name: z.string().trim().min(1).max(80).optional(),
  role: z.enum(ROLES).default('member'),
  exp: z.number(),
});

/** Guest tokens (POST /api/sessions/:id/guest-token), under their own key: one session, one invite. */
const guestClaims = z.object({
  typ: z.literal('guest'),
  sub: userIdSchema,
  name: z.string().trim().min(1).max(80),
  role: z.literal('member'),
  exp: z.number(),
  sid: z.string().uuid(),
  cid: z.string().uuid(),
  iid: z.string().uuid(),
  v: z.number().int(),
});

/** Algorithms accepted from the identity provider's JWKS; HS256 only ever with JWT_SECRET. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/** A claim by dot path (`realm_access.roles`), as identity providers nest them. */
function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A role claim may be one role or a list of them (the highest known one wins); anything else is `member`. */
export function roleFrom(claim: unknown): Role {
  const list = Array.isArray(claim) ? claim : [claim];
  const known = list.filter((r): r is Role => typeof r === 'string' && (ROLES as readonly string[]).includes(r));
  return known.sort((a, b) => ROLES.indexOf(b) - ROLES.indexOf(a))[0] ?? 'member';
}

function refusalOf(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof errors.JWTExpired) return refuse('token_expired', 'token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return refuse('issuer_mismatch', 'token issuer is not accepted');
    if (err.claim === 'aud') return refuse('audience_mismatch', 'token audience is not accepted');
    if (err.claim === 'nbf' || err.claim === 'iat') return refuse('token_not_yet_valid', 'token is not valid yet');
    return refuse('claims_invalid', `token claim ${err.claim} is invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return refuse('algorithm_not_allowed', 'token algorithm is not accepted');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return refuse('unknown_key', 'token key id is not in the signing keys');
  if (err instanceof errors.JWSSignatureVerificationFailed) return refuse('signature_invalid', 'token signature is invalid');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return refuse('keys_unavailable', 'the signing keys could not be read');
  // e.g. an unknown `crit` header parameter: the token's fault, not an outage.
  if (err instanceof errors.JOSENotSupported) return refuse('token_malformed', 'token uses an unsupported feature');
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return refuse('token_malformed', 'token is malformed');
  // A JWKS endpoint that cannot be reached rejects with fetch's own error (by name: it may come from another realm).
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TypeError' || name === 'AbortError' || name === 'TimeoutError') return refuse('keys_unavailable', 'the signing keys could not be read');
  return refuse('token_malformed', 'token could not be verified');
}

/**
 * Verifies bearer JWTs and returns who they name; UNAUTHORIZED (with a reason) for anything else.
 *
 * Two kinds of token are accepted: HS256 signed with JWT_SECRET (this server's guest tokens,
 * `npm run token`, small setups' own apps), and, when JWT_JWKS_URL is set, RS256/ES256 tokens of
 * the organization's identity provider, checked against its published keys (cached; an unknown
 * `kid` refetches them, so key rotation needs no restart), its issuer and audience. The header's
 * `alg` picks the path and each path accepts only its own algorithms, so neither `none` nor an
 * HS256 token signed with a public key can pass.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger('Auth');
  private readonly secret: Uint8Array;
  private readonly guestKey: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.secret = new TextEncoder().encode(config.JWT_SECRET);
    this.guestKey = new TextEncoder().encode(tokenKey(config.JWT_SECRET, 'guest'));
    if (config.JWT_JWKS_URL) {
      const cacheMs = config.JWT_JWKS_CACHE_SECONDS * 1000;
      // An unknown kid refetches the keys (rotation), at most once per cooldown.
      this.jwks = createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { cacheMaxAge: cacheMs, cooldownDuration: Math.min(30_000, cacheMs), timeoutDuration: 5_000 });
    }
  }

  async verify(token: unknown): Promise<Identity> {
    if (typeof token !== 'string' || token.length === 0) throw refuse('token_missing', 'missing token');
    if (token.length > 8192) throw refuse('token_malformed', 'token is too long');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw refuse('token_malformed', 'token is malformed');
    }
    try {
      if (alg === 'HS256') return await this.verifyOwn(token);
      if (this.jwks && alg && JWKS_ALGORITHMS.includes(alg)) return await this.verifyProvider(token);
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal.details?.reason === 'keys_unavailable') this.logger.warn({ err: (err as Error).message }, 'identity provider keys unavailable');
      throw refusal;
    }
    throw refuse('algorithm_not_allowed', 'token algorithm is not accepted');
  }

  private async verifyOwn(token: string): Promise<Identity> {
    // The kind picks the key; the signature under that key then proves the kind. An invite, or
    // any token of another kind, is never an identity.
    const typ = decodeJwt(token).typ;
    if (typ === 'guest') {
      const { payload } = await jwtVerify(token, this.guestKey, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      const g = guestClaims.safeParse(payload);
      if (!g.success) throw refuse('claims_invalid', 'token lacks required claims');
      const { sub, sid, cid, iid, v } = g.data;
      return { userId: sub, name: normalizeDisplayName(g.data.name) || sub, role: 'member', scope: { sessionId: sid, callId: cid, inviteId: iid, inviteVersion: v } };
    }
    if (typ !== undefined) throw refuse('claims_invalid', 'this kind of token is not a sign-in token');
    const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    const parsed = identityClaims.safeParse(payload);
    if (!parsed.success) throw refuse('claims_invalid', 'token lacks required claims');
    const { sub, role } = parsed.data;
    const name = parsed.data.name ? normalizeDisplayName(parsed.data.name) : '';
    if (sub.startsWith(GUEST_ID_PREFIX)) throw refuse('claims_invalid', `user ids beginning with ${GUEST_ID_PREFIX} are reserved for session guests`);
    return { userId: sub, name: name || sub, role };
  }

  private async verifyProvider(token: string): Promise<Identity> {
    const { payload } = await jwtVerify(token, this.jwks!, {
      algorithms: JWKS_ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      // Both are required with a JWKS (config schema).
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE!.split(',').map((a) => a.trim()).filter(Boolean),
    });
    const sub = userIdSchema.safeParse(payload.sub);
    if (!sub.success) throw refuse('claims_invalid', 'token subject is not a valid user id');
    if (sub.data.startsWith(GUEST_ID_PREFIX)) throw refuse('claims_invalid', `user ids beginning with ${GUEST_ID_PREFIX} are reserved for session guests`);
    const name = claimAt(payload, this.config.JWT_NAME_CLAIM);
    const displayName = (typeof name === 'string' && normalizeDisplayName(name)) || sub.data;
    // Identity-provider tokens name people; session scopes (sid/cid) are this server's own guest tokens only.
    return { userId: sub.data, name: displayName, role: roleFrom(claimAt(payload, this.config.JWT_ROLE_CLAIM)) };
  }
}

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
