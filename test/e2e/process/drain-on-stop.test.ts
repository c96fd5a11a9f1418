/**
 * SIGTERM on a gateway node while another node serves: its calls move to that node (their
 * people get `media:reconnect`), nobody sees `call:ended`, and the process exits 0. Real
 * processes on one Redis and one PostgreSQL.
 */
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { connectWithToken, ensureTestDatabase, nextEvent, ok, signToken, TEST_DATABASE_URL } from '../../support/app';
import { explainedBy, startServerProcess, type ServerProcess } from '../../support/server-process';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'drain-on-stop-secret-0123456789abcdef0123';

describe('SIGTERM with another node up', () => {
  const env = { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, REDIS_PREFIX: `hearth-drainstop-${process.pid}:`, JWT_SECRET: SECRET, MEDIASOUP_NUM_WORKERS: '1', RING_TIMEOUT_SECONDS: '600' };
  const sockets: Socket[] = [];
  const gw: ServerProcess[] = [];
  let db: Client;

  beforeAll(async () => {
    await ensureTestDatabase();
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    gw.push(await startServerProcess(env), await startServerProcess(env));
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const g of gw) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
    await db.end();
  });

  const connect = async (g: ServerProcess, id: string) => {
    const s = await connectWithToken(g.url, signToken(SECRET, { sub: id, name: id }));
    sockets.push(s);
    return s;
  };
  const owner = async (callId: string) => (await db.query<{ owner_id: string }>('SELECT owner_id FROM call_sessions WHERE id = $1', [callId])).rows[0]?.owner_id;
  const explained = explainedBy(gw);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('moves the live call to the other node instead of ending it, and exits 0', explained(async () => {
    const [a, b] = gw;
    const tag = process.pid;
    // Both nodes see each other.
    const admin = signToken(SECRET, { sub: 'ds-admin', name: 'Admin', role: 'admin' });
    for (let i = 0; i < 50; i++) {
      const list = (await (await fetch(`${b.url}/api/admin/nodes`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { alive: boolean }[];
      if (list.filter((n) => n.alive).length === 2) break;
      await sleep(200);
    }
    // A ringing call keeps node b busier, so the next call is placed on node a; both its people are connected to b.
    const x = await connect(b, `ds-x-${tag}`);
    await connect(b, `ds-y-${tag}`);
    await ok(x, 'call:initiate', { calleeIds: [`ds-y-${tag}`], media: 'audio' });
    const ann = await connect(b, `ds-ann-${tag}`);
    const ben = await connect(b, `ds-ben-${tag}`);
    const ring = nextEvent<{ callId: string }>(ben, 'call:incoming');
    const { callId } = await ok<{ callId: string }>(ann, 'call:initiate', { calleeIds: [`ds-ben-${tag}`], media: 'audio' });
    await ring;
    await ok(ann, 'call:join', { callId });
    await ok(ben, 'call:join', { callId });
    await ok(ann, 'media:create-transport', { callId, direction: 'send' });
    await sleep(300);
    const first = await owner(callId);
    expect(first).toBeTruthy();

    const seen: string[] = [];
    for (const s of [ann, ben]) s.on('call:ended', () => seen.push('call:ended'));
    const reconnects = [ann, ben].map((s) => nextEvent<{ reason: string }>(s, 'media:reconnect', 20_000));
    const exit = new Promise<number | null>((r) => a.child.once('exit', (code) => r(code)));
    a.child.kill('SIGTERM');
    for (const r of await Promise.all(reconnects)) expect(r.reason).toBe('migrated');
    expect(await exit).toBe(0);

    // The call goes on on node b, the same call, nobody told it ended.
    await ok(ann, 'media:create-transport', { callId, direction: 'send' });
    expect(seen).toEqual([]);
    expect(await owner(callId)).not.toBe(first);
    const ended = nextEvent<{ reason: string }>(ben, 'call:ended');
    await ok(ann, 'call:end', { callId });
    expect((await ended).reason).toBe('completed');
  }));
});
