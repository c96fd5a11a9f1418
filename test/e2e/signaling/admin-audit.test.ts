/**
 * The operator audit log against the real gateway: an admin adds a worker, drains it and
 * force-ends a call (and fails one drain); GET /api/admin/audit returns each with its actor,
 * target and outcome, newest first, to admins only, and pages through every entry exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type { AuditEntry, AuditPage } from '../../../src/audit/audit.port';
import type { Json } from '../../../src/signaling/rest-contract';
import { connectUser, devToken, nextEvent, ok, startTestApp, type TestApp } from '../../support/app';

type Page = Json<AuditPage>;
type Entry = Json<AuditEntry>;

describe('operator audit log', () => {
  let t: TestApp;
  let admin: string;
  // Unique per run: the test database is shared, so this run's entries are told apart by their actor.
  const adminId = `auditor-${process.pid}-${randomUUID().slice(0, 8)}`;
  const sockets: Socket[] = [];
  const get = (path: string, token?: string) => fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const post = (path: string, token?: string) => fetch(`${t.url}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const page = async (query: string): Promise<Page> => {
    const res = await get(`/api/admin/audit${query}`, admin);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };

  let addedPid: number;
  let callId: string;

  beforeAll(async () => {
    t = await startTestApp({ MEDIASOUP_NUM_WORKERS: '1' });
    admin = await devToken(t.url, adminId, 'Auditing Operator', 'admin');

    const added = await post('/api/admin/workers', admin);
    expect(added.status).toBe(201);
    addedPid = ((await added.json()) as { pid: number }).pid;
    const drained = await post(`/api/admin/workers/${addedPid}/drain?migrate=false`, admin);
    expect(drained.status).toBe(200);
    expect((await post('/api/admin/workers/999999/drain', admin)).status).toBe(404);

    const a = await connectUser(t.url, `${adminId}-a`);
    const b = await connectUser(t.url, `${adminId}-b`);
    sockets.push(a, b);
    ({ callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [`${adminId}-b`], media: 'audio' }));
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    const ended = nextEvent<{ reason: string }>(b, 'call:ended');
    expect((await post(`/api/admin/calls/${callId}/end`, admin)).status).toBe(200);
    expect((await ended).reason).toBe('force_ended');
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  const mine = (entries: Entry[]) => entries.filter((e) => e.actorId === adminId);

  it('records add, drain and force-end with their actor, target, time and outcome, newest first', async () => {
    const started = Date.now() - 60_000;
    const entries = mine((await page('?limit=200')).entries);
    expect(entries.map((e) => [e.action, e.target, e.outcome, e.errorCode])).toEqual([
      ['call.force_end', callId, 'ok', null],
      ['worker.drain', '999999', 'failed', 'NOT_FOUND'],
      ['worker.drain', String(addedPid), 'ok', null],
      ['worker.add', String(addedPid), 'ok', null],
    ]);
    expect(entries[1].detail).toBeNull();
    expect(entries[2].detail).toEqual({ migrate: false, migratedCalls: 0 });
    for (const e of entries) {
      expect(e.actorId).toBe(adminId);
      expect(new Date(e.at).getTime()).toBeGreaterThan(started);
      expect(new Date(e.at).getTime()).toBeLessThanOrEqual(Date.now());
    }
    const times = entries.map((e) => new Date(e.at).getTime());
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    // No display name in the record.
    expect(JSON.stringify(entries)).not.toContain('Auditing Operator');
  });

  it('answers admins only, and validates the query', async () => {
    expect((await get('/api/admin/audit')).status).toBe(401);
    const member = await devToken(t.url, `${adminId}-member`, 'Member');
    const res = await get('/api/admin/audit', member);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const host = await devToken(t.url, `${adminId}-host`, 'Host', 'host');
    expect((await get('/api/admin/audit', host)).status).toBe(403);
    for (const bad of ['limit=0', 'limit=201', 'limit=1.5', 'limit=x', 'before=abc', 'before=0', 'before=-1', 'before=99999999999999999999', 'before=9223372036854775808']) {
      const r = await get(`/api/admin/audit?${bad}`, admin);
      expect({ bad, status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }).toEqual({ bad, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await page('')).entries.length).toBeLessThanOrEqual(50);
  });

  it('pages with limit=1 through every entry exactly once, newest first', async () => {
    const all = mine((await page('?limit=200')).entries);
    const oldestOfMine = BigInt(all[all.length - 1].id);
    const seen: Entry[] = [];
    let cursor: string | null = null;
    // From the newest entry down past this run's oldest; entries added meanwhile are newer and never show up here.
    do {
      const p: Page = await page(`?limit=1${cursor ? `&before=${cursor}` : ''}`);
      expect(p.entries.length).toBeLessThanOrEqual(1);
      if (!p.entries.length) break;
      seen.push(p.entries[0]);
      expect(p.nextCursor === null || p.nextCursor === p.entries[0].id).toBe(true);
      cursor = p.nextCursor;
    } while (cursor !== null && BigInt(seen[seen.length - 1].id) > oldestOfMine);
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)));
    expect(mine(seen)).toEqual(all);

    // And to the very end: nextCursor runs out, with no entry twice.
    const everything = new Set<string>();
    let pages = 0;
    for (let c: string | null = null, first = true; first || c !== null; first = false) {
      const p: Page = await page(`?limit=200${c ? `&before=${c}` : ''}`);
      for (const e of p.entries) {
        expect(everything.has(e.id)).toBe(false);
        everything.add(e.id);
      }
      c = p.nextCursor;
      pages++;
      expect(pages).toBeLessThan(10_000);
    }
    for (const e of all) expect(everything.has(e.id)).toBe(true);
  });
});
