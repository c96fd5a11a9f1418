/**
 * The README's run command, for real: the built server as its own process with no
 * DATABASE_URL or REDIS_URL, on an embedded PostgreSQL, serving the client and a working call.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { connectUser, nextEvent, ok } from '../../support/app';
import { freePort, portOpen, ROOT, startServerProcess, type ServerProcess } from '../../support/server-process';

describe('npm start with embedded defaults', () => {
  let server: ServerProcess;
  let dataDir: string;
  let pgPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'main.js'))).toBe(true);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hearth-embedded-'));
    pgPort = await freePort();
    // Only what a fresh shell has: no DATABASE_URL, REDIS_URL or JWT_SECRET.
    server = await startServerProcess({ EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is ready on an embedded PostgreSQL and live media workers', async () => {
    const res = await fetch(`${server.url}/health/ready`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { info: { database: { status: string }; mediaWorkers: { status: string; live: number } } };
    expect(body.info.database.status).toBe('up');
    expect(body.info.mediaWorkers.live).toBeGreaterThanOrEqual(1);
    expect(await portOpen(pgPort)).toBe(true);
  });

  it('serves the sample client at /', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<html/i);
  });

  it('carries a call between two users and logs it', async () => {
    const a = await connectUser(server.url, 'ann');
    const b = await connectUser(server.url, 'ben');
    sockets.push(a, b);
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
    expect(await server.stop()).toBe(0);
    expect(await portOpen(pgPort)).toBe(false);
  });
});
