import { randomBytes, randomUUID } from 'node:crypto';
import { envSchema, type Env } from './config.schema';

/** The typed, validated settings. Built once at boot; never read process.env elsewhere. */
export interface AppConfig extends Omit<Env, 'JWT_SECRET'> {
  JWT_SECRET: string;
  /** True when JWT_SECRET was generated for this process (development only). */
  jwtSecretGenerated: boolean;
  isProduction: boolean;
  /** Whether POST /api/dev/token serves (see devTokensOn). */
  devTokens: boolean;
  /** Whether /api/docs serves: API_DOCS, else on except in production. */
  apiDocs: boolean;
  /** This gateway process, for ownership of the calls it hosts (new at every boot). */
  instanceId: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

/** 127.0.0.0/8, ::1 and localhost: nobody but this machine can reach the server. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * The dev token route mints any role, admin included, for anyone who asks: never in production,
 * and otherwise only when DEV_TOKENS=1 says so or the server listens on loopback alone.
 */
export function devTokensOn(env: Pick<Env, 'NODE_ENV' | 'DEV_TOKENS' | 'HOST'>): boolean {
  if (env.NODE_ENV === 'production') return false;
  return env.DEV_TOKENS ?? isLoopbackHost(env.HOST);
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Env, string>> = {}): AppConfig {
  // An empty value means unset, as `KEY=` in an env file (docker --env-file, systemd) intends.
  const given = Object.fromEntries(Object.entries({ ...source, ...overrides }).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    ...env,
    JWT_SECRET: env.JWT_SECRET ?? randomBytes(32).toString('hex'),
    jwtSecretGenerated: env.JWT_SECRET === undefined,
    isProduction: env.NODE_ENV === 'production',
    devTokens: devTokensOn(env),
    apiDocs: env.API_DOCS ?? env.NODE_ENV !== 'production',
    instanceId: randomUUID(),
  };
}
