/**
 * The README's run command, for real: the built server as its own process with no
 * DATABASE_URL or REDIS_URL, on an embedded PostgreSQL, serving the client and a working call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { nextEvent, ok } from '../../support/app';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('npm start with embedded defaults', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: string;
  let pgPort: number;
  let output = '';
  const sockets: Socket[] = [];

  beforeAll(async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'main.js'))).toBe(true);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hearth-embedded-'));
    const port = await freePort();
    pgPort = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Only what a fresh shell has: no DATABASE_URL, REDIS_URL or JWT_SECRET.
    child = spawn(NODE, ['dist/main.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
      const check = () => {
        if (output.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is ready on an embedded PostgreSQL and live media workers', async () => {
    const res = await fetch(`${url}/health/ready`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { workers: number }).workers).toBeGreaterThanOrEqual(1);
    expect(await portOpen(pgPort)).toBe(true);
  });

  it('serves the sample client at /', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<html/i);
  });

  it('carries a call between two users and logs it', async () => {
    const connect = async (userId: string) => {
      const r = await fetch(`${url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, name: userId }) });
      const { token } = (await r.json()) as { token: string };
      const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(s);
      await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
      return s;
    };
    const a = await connect('ann');
    const b = await connect('ben');
    const incoming = nextEvent<{ callId: string }>(b, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: ['ben'], media: 'video' });
    expect((await incoming).callId).toBe(callId);
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    const ended = nextEvent<{ reason: string }>(b, 'call:ended');
    await ok(a, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
  });

  it('shuts down cleanly on SIGTERM, stopping the embedded PostgreSQL', async () => {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(await portOpen(pgPort)).toBe(false);
  });
});
