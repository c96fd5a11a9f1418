/**
 * Operators: the admin API (authz, workers, drain with migration, live calls, force-end),
 * Prometheus metrics, health and the OpenAPI document, against the real gateway.
 */
import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { connectUser, devToken, nextEvent, ok, startTestApp, type TestApp } from '../../support/app';

describe('operators', () => {
  let t: TestApp;
  let admin: string;
  const sockets: Socket[] = [];
  const get = (path: string, token?: string) => fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const post = (path: string, token?: string) => fetch(`${t.url}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    t = await startTestApp({ MEDIASOUP_NUM_WORKERS: '2' });
    admin = await devToken(t.url, `op-${process.pid}`, 'Operator', 'admin');
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  async function call(tag: string) {
    const a = await connectUser(t.url, `${tag}-a-${process.pid}`);
    const b = await connectUser(t.url, `${tag}-b-${process.pid}`);
    sockets.push(a, b);
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [`${tag}-b-${process.pid}`], media: 'audio' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    return { a, b, callId };
  }

  it('admits admins only: 401 without a token, 403 for members', async () => {
    expect((await get('/api/admin/workers')).status).toBe(401);
    const member = await devToken(t.url, `member-${process.pid}`);
    const res = await get('/api/admin/workers', member);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await post('/api/admin/workers', member)).status).toBe(403);
    expect((await get('/api/admin/calls', member)).status).toBe(403);
    expect((await get('/api/admin/workers', admin)).status).toBe(200);
  });

  it('lists, adds and drains workers; a drain with migration moves live calls', async () => {
    const before = (await (await get('/api/admin/workers', admin)).json()) as { pid: number; state: string; routers: number; cpuTimeMs: number }[];
    expect(before).toHaveLength(2);
    expect(before[0]).toEqual(expect.objectContaining({ state: 'active', routers: expect.any(Number), consumers: expect.any(Number), cpuTimeMs: expect.any(Number) }));

    const added = (await (await post('/api/admin/workers', admin)).json()) as { pid: number };
    expect(t.app.get(MediaService).pool.size).toBe(3);

    const { a, callId } = await call('drain');
    const host = t.app.get(MediaService).room(callId).host.pid;
    const reconnect = nextEvent<{ callId: string }>(a, 'media:reconnect');
    const drained = (await (await post(`/api/admin/workers/${host}/drain?migrate=true`, admin)).json()) as { state: string; migratedCalls: number };
    expect(drained).toEqual({ pid: host, state: 'draining', migratedCalls: 1 });
    expect((await reconnect).callId).toBe(callId);
    expect(t.app.get(MediaService).room(callId).host.pid).not.toBe(host);
    // Retired once empty; never replaced.
    for (let i = 0; i < 40 && t.app.get(MediaService).pool.get(host); i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.app.get(MediaService).pool.get(host)).toBeUndefined();
    expect(t.app.get(MediaService).pool.size).toBe(2);
    // New calls never land on a draining worker.
    const other = t.app.get(MediaService).pool.list().find((w) => w.pid !== added.pid)!;
    t.app.get(MediaService).pool.drain(other.pid);
    const second = await call('placed');
    expect(t.app.get(MediaService).room(second.callId).host.pid).toBe(added.pid);
    expect((await post('/api/admin/workers/999999/drain', admin)).status).toBe(404);
    await ok(a, 'call:end', { callId });
    await ok(second.a, 'call:end', { callId: second.callId });
  });

  it('lists live calls with their worker and force-ends one', async () => {
    const { b, callId } = await call('force');
    const calls = (await (await get('/api/admin/calls', admin)).json()) as { callId: string; workerPid: number; participants: { state: string }[] }[];
    const mine = calls.find((c) => c.callId === callId)!;
    expect(mine.workerPid).toBe(t.app.get(MediaService).room(callId).host.pid);
    expect(mine.participants.map((p) => p.state)).toEqual(['joined', 'joined']);
    const ended = nextEvent<{ reason: string }>(b, 'call:ended');
    expect((await post(`/api/admin/calls/${callId}/end`, admin)).status).toBe(200);
    expect((await ended).reason).toBe('force_ended');
  });

  it('exposes Prometheus metrics, health and the OpenAPI document', async () => {
    const { a, callId } = await call('metrics');
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/hearth_calls\{status="active"\} [1-9]/);
    expect(text).toMatch(/hearth_media_workers\{state="active"\} [1-9]/);
    expect(text).toMatch(/hearth_media_objects\{kind="routers"\} [1-9]/);
    expect(text).toMatch(/hearth_call_participants\{state="joined"\} [2-9]/);
    expect(text).toMatch(/hearth_socket_connections [1-9]/);
    expect(text).toMatch(/hearth_busy_locks [2-9]/);
    expect(text).toMatch(/hearth_call_ring_latency_seconds_count [1-9]/);
    expect(text).toMatch(/hearth_call_join_latency_seconds_count [1-9]/);
    await ok(a, 'call:end', { callId });
    expect(await (await get('/metrics')).text()).toMatch(/hearth_call_ends_total\{reason="completed"\} [1-9]/);

    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string; info: Record<string, unknown> }).info).toEqual(
      expect.objectContaining({ database: { status: 'up' }, mediaWorkers: expect.objectContaining({ status: 'up' }) }),
    );
    expect((await get('/health/live')).status).toBe(200);

    const doc = (await (await get('/api/docs-json')).json()) as { paths: Record<string, unknown> };
    for (const path of ['/api/admin/workers', '/api/admin/workers/{pid}/drain', '/api/admin/calls', '/api/admin/calls/{callId}/end', '/api/calls/history', '/api/calls/{callId}', '/api/calls/{callId}/end', '/api/dev/token']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});
