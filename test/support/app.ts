import { createHmac } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import { createApp } from '../../src/bootstrap';
import { BusyLocks } from '../../src/calls/busy-locks';
import { CallLogWriter } from '../../src/calls/call-log-writer';
import { CallRegistry } from '../../src/calls/call-registry';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import type { Env } from '../../src/config/config.schema';

/** Tests talk to the machine's real PostgreSQL; TEST_DATABASE_URL overrides the default. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hearth_test';

export async function ensureTestDatabase(url = TEST_DATABASE_URL): Promise<void> {
  const target = new URL(url);
  const dbName = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** Shared by every in-process test server, so tokens from one are valid on another (like a real deployment). */
const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

/** The live calls a gateway hosts, and which call each user is in. */
export function liveCalls(app: INestApplication): CallRegistry {
  return app.get(CallRegistry);
}

/** Resolves when every pending call-log write and busy-lock release has landed. */
export async function settled(app: INestApplication): Promise<void> {
  await Promise.all([app.get(CallLogWriter).flush(), app.get(BusyLocks).flush()]);
}

export interface TestApp {
  app: INestApplication;
  url: string;
  config: AppConfig;
  close(): Promise<void>;
}

/** The whole real server (real PostgreSQL, real mediasoup workers) on a free port. */
export async function startTestApp(overrides: Partial<Record<keyof Env, string>> = {}): Promise<TestApp> {
  await ensureTestDatabase();
  const config = loadConfig(
    {},
    { NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: TEST_DATABASE_URL, MEDIASOUP_NUM_WORKERS: '2', JWT_SECRET: TEST_JWT_SECRET, RTC_SERVER_PORT: '0', ...overrides },
  );
  const app = await createApp(config);
  const address = app.getHttpServer().address() as { port: number };
  const url = `${config.TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  secrets.set(url, config.JWT_SECRET);
  return {
    app,
    url,
    config,
    close: async () => {
      secrets.delete(url);
      await app.close();
    },
  };
}

/** The signing secret of each test server by its URL, so tests sign their users' tokens themselves. */
const secrets = new Map<string, string>();

/** An HS256 identity token, as the organization's own app (or `npm run token`) signs one. */
export function signToken(secret: string, claims: { sub: string; name?: string; role?: string }, ttlSeconds = 3600): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/**
 * A token for a test user: signed here with the test server's secret (as a clinic's own app
 * would), so tests do not lean on the dev token route and its rate limit; for servers this
 * process did not start, from that route.
 */
export async function devToken(url: string, userId: string, name = userId, role?: string): Promise<string> {
  const secret = secrets.get(url);
  if (secret) return signToken(secret, { sub: userId, name, ...(role ? { role } : {}) });
  const res = await fetch(`${url}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name, ...(role ? { role } : {}) }),
  });
  if (!res.ok) throw new Error(`dev token failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** A real socket.io client, connected and authenticated. */
export async function connectUser(url: string, userId: string, name = userId, role?: string): Promise<Socket> {
  return connectWithToken(url, await devToken(url, userId, name, role));
}

/** A real socket.io client with this token (a guest token, a host's), connected; `auth`: more handshake fields. */
export async function connectWithToken(url: string, token: string, auth: Record<string, string> = {}): Promise<Socket> {
  const socket = io(url, { auth: { ...auth, token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

export type AckResult<T = Record<string, unknown>> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string } & Record<string, unknown> };

export function request<T = Record<string, unknown>>(socket: Socket, event: string, payload?: unknown, timeoutMs = 10_000): Promise<AckResult<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<AckResult<T>>;
}

/** Like request(), but throws unless the ack is ok; returns its data. */
export async function ok<T = Record<string, unknown>>(socket: Socket, event: string, payload?: unknown): Promise<T> {
  const res = await request<T>(socket, event, payload);
  if (!res.ok) throw new Error(`${event} failed: ${res.error.code} ${res.error.message}`);
  return res.data;
}

export function nextEvent<T = Record<string, unknown>>(socket: Socket, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const handler = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}
