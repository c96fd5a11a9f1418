import { randomBytes, randomUUID } from 'node:crypto';
import { envSchema, type Env } from './config.schema';

/** The typed, validated settings. Built once at boot; never read process.env elsewhere. */
export interface AppConfig extends Omit<Env, 'JWT_SECRET'> {
  JWT_SECRET: string;
  /** True when JWT_SECRET was generated for this process (development only). */
  jwtSecretGenerated: boolean;
  isProduction: boolean;
  /** This gateway process, for ownership of the calls it hosts (new at every boot). */
  instanceId: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Env, string>> = {}): AppConfig {
  const parsed = envSchema.safeParse({ ...source, ...overrides });
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
    instanceId: randomUUID(),
  };
}
