/**
 * Production sign-in: tokens from the organization's identity provider, verified against its
 * JWKS (served here by a real HTTP server), next to HS256 tokens signed with JWT_SECRET. Every
 * refusal is UNAUTHORIZED with a reason, on the socket handshake and on REST.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { io } from 'socket.io-client';
import { startTestApp, type TestApp } from '../../support/app';
import { ROOT } from '../../support/server-process';

const ISSUER = 'https://idp.clinic.test/realms/therapy';
const AUDIENCE = 'hearth-sfu';

interface Key {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: Key['alg']): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(key: Key, claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: number | string; kid?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: opts.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '10m')
    .sign(key.privateKey);
}

/** Connects with `token`: 'connected', or the connect_error's message and data.reason. */
function handshake(url: string, token: string): Promise<{ connected: true } | { message: string; reason?: string }> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve) => {
    socket.once('connect', () => (socket.disconnect(), resolve({ connected: true })));
    socket.once('connect_error', (err: Error & { data?: { reason?: string } }) => (socket.close(), resolve({ message: err.message, reason: err.data?.reason })));
  });
}

async function me(url: string, token: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('sign-in through an identity provider (JWKS)', () => {
  let jwks: Server;
  let keys: Key[] = [];
  let fetches = 0;
  let t: TestApp;
  let rsa: Key;
  let ec: Key;

  beforeAll(async () => {
    rsa = await makeKey('rsa-1', 'RS256');
    ec = await makeKey('ec-1', 'ES256');
    keys = [rsa, ec];
    jwks = createServer((req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    t = await startTestApp({
      JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/realms/therapy/protocol/openid-connect/certs`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: `other-app,${AUDIENCE}`,
      JWT_ROLE_CLAIM: 'realm_access.roles',
      JWT_NAME_CLAIM: 'preferred_name',
      // Short, so the rotation case need not wait for the default refetch cooldown.
      JWT_JWKS_CACHE_SECONDS: '1',
    });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((r) => jwks?.close(r));
  });

  it('accepts RS256 and ES256 tokens and maps sub, name and a nested role list (highest wins)', async () => {
    const rs = await sign(rsa, { sub: 'therapist-7', preferred_name: 'Dr. Rivera', realm_access: { roles: ['offline_access', 'member', 'host'] } });
    expect(await handshake(t.url, rs)).toEqual({ connected: true });
    expect(await me(t.url, rs)).toEqual({ status: 200, body: { userId: 'therapist-7', name: 'Dr. Rivera', role: 'host' } });

    const es = await sign(ec, { sub: 'client-3', realm_access: { roles: ['unknown-role'] } });
    expect(await handshake(t.url, es)).toEqual({ connected: true });
    // No name claim: the user id stands in; no known role: member.
    expect((await me(t.url, es)).body).toEqual({ userId: 'client-3', name: 'client-3', role: 'member' });
  });

  it('keeps accepting HS256 tokens signed with JWT_SECRET, as `npm run token` mints them', async () => {
    const token = execFileSync(process.execPath, ['scripts/token.mjs', '--sub', 'ops-1', '--name', 'Ops', '--role', 'admin'], {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET: t.config.JWT_SECRET },
      encoding: 'utf8',
    }).trim();
    expect(await handshake(t.url, token)).toEqual({ connected: true });
    expect((await me(t.url, token)).body).toEqual({ userId: 'ops-1', name: 'Ops', role: 'admin' });
    const admin = await fetch(`${t.url}/api/admin/workers`, { headers: { authorization: `Bearer ${token}` } });
    expect(admin.status).toBe(200);
  });

  it.each([
    ['a wrong issuer', 'issuer_mismatch', () => sign(rsa, { sub: 'u1' }, { iss: 'https://evil.example' })],
    ['a wrong audience', 'audience_mismatch', () => sign(rsa, { sub: 'u1' }, { aud: 'someone-else' })],
    ['an expired token', 'token_expired', () => sign(ec, { sub: 'u1' }, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['an unknown kid', 'unknown_key', () => sign(rsa, { sub: 'u1' }, { kid: 'not-published' })],
    ['no subject', 'claims_invalid', () => sign(rsa, {})],
    [
      'alg: none',
      'algorithm_not_allowed',
      async () => {
        const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      },
    ],
    [
      // The classic confusion: an HS256 token whose HMAC key is the provider's public key.
      'HS256 signed with the public key',
      'signature_invalid',
      async () => {
        const pem = (await import('node:crypto')).createPublicKey({ key: rsa.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return new SignJWT({ sub: 'u1', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(String(pem)));
      },
    ],
    ['garbage', 'token_malformed', async () => 'not-a-jwt'],
  ] as Array<[string, string, () => Promise<string>]>)('refuses %s: connect_error UNAUTHORIZED and REST 401, reason %s', async (_what, reason, make) => {
    const token = await make();
    expect(await handshake(t.url, token)).toEqual({ message: 'UNAUTHORIZED', reason });
    const rest = await me(t.url, token);
    expect(rest.status).toBe(401);
    expect(rest.body.error).toMatchObject({ code: 'UNAUTHORIZED', reason });
  });

  it('follows a key rotation without a restart: a new kid is fetched, a removed key stops working', async () => {
    const next = await makeKey('rsa-2', 'RS256');
    const token = await sign(next, { sub: 'rotated-user' });
    // Wait out the refetch cooldown of earlier tests, so the first unknown kid refetches at once.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await handshake(t.url, token)).toEqual({ message: 'UNAUTHORIZED', reason: 'unknown_key' });
    keys = [next, ec];
    const before = fetches;
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await handshake(t.url, token)).toEqual({ connected: true });
    expect(fetches).toBeGreaterThan(before);
    // rsa-1 is no longer published: once the cache lapses, its tokens are refused.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await handshake(t.url, await sign(rsa, { sub: 'old-key-user' }))).toEqual({ message: 'UNAUTHORIZED', reason: 'unknown_key' });
  });

  it('an identity provider that cannot be reached is UNAVAILABLE (retry later), not a bad token', async () => {
    await new Promise((r) => jwks.close(r));
    await new Promise((r) => setTimeout(r, 1_100));
    const token = await sign(await makeKey('rsa-3', 'RS256'), { sub: 'during-outage' });
    expect(await handshake(t.url, token)).toEqual({ message: 'UNAVAILABLE', reason: 'keys_unavailable' });
    const rest = await me(t.url, token);
    expect(rest.status).toBe(503);
    expect(rest.body.error).toMatchObject({ code: 'UNAVAILABLE', reason: 'keys_unavailable' });
  });
});

describe('the dev token route', () => {
  const post = (url: string) =>
    fetch(`${url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'x', name: 'X', role: 'admin' }) });

  it.each([
    [{ HOST: '0.0.0.0' }, 404],
    [{ HOST: '0.0.0.0', DEV_TOKENS: '1' }, 201],
    [{ HOST: '127.0.0.1' }, 201],
    [{ HOST: '127.0.0.1', DEV_TOKENS: '0' }, 404],
    [{ NODE_ENV: 'production' }, 404],
  ])('with %j answers %i', async (env, status) => {
    const t = await startTestApp({ MEDIASOUP_NUM_WORKERS: '1', ...env });
    try {
      expect((await post(t.url)).status).toBe(status);
    } finally {
      await t.close();
    }
  });

  it('on a loopback HOST refuses requests relayed by a proxy (FORBIDDEN) unless DEV_TOKENS=1', async () => {
    for (const [env, status] of [[{}, 403], [{ DEV_TOKENS: '1' }, 201]] as const) {
      const t = await startTestApp({ MEDIASOUP_NUM_WORKERS: '1', HOST: '127.0.0.1', ...env });
      try {
        const res = await fetch(`${t.url}/api/dev/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
          body: JSON.stringify({ userId: 'x', name: 'X', role: 'admin' }),
        });
        expect(res.status).toBe(status);
      } finally {
        await t.close();
      }
    }
  });
});
