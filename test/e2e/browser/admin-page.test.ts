import type { Socket } from 'socket.io-client';
import { MediaService } from '../../../src/media/media.service';
import { connectUser, nextEvent, ok } from '../../support/app';
import { browserSuite, eventually, uniqueUser } from '../../support/browser';

/** The operators' page (`/admin.html`) against the real gateway: workers, live CPU chart, calls, force-end, authz. */
describe('browser: admin page', () => {
  const suite = browserSuite();
  let sockets: Socket[] = [];

  const poolPids = () =>
    suite.t.app
      .get(MediaService)
      .pool.list()
      .map((w) => w.pid)
      .sort((a, b) => a - b);

  afterEach(() => {
    for (const s of sockets) s.disconnect();
    sockets = [];
  });

  it('shows a row per worker and a CPU chart that gains a point per worker every poll; adds and drains a worker', async () => {
    const admin = await suite.openAdmin();
    expect(await admin.state()).toBe('signed-in');
    expect(await admin.workerRowPids()).toEqual(poolPids());
    expect(await admin.workerRowPids()).toHaveLength(2);

    // Polling every 2 s: the Chart.js instance gains samples, one point per worker each.
    const samples = await admin.cpuSamples();
    await eventually(() => admin.cpuSamples(), (n) => n >= samples + 2, 10_000, 'two more CPU samples');
    const series = await admin.cpuSeries();
    expect(series.map((s) => s.pid).sort((a, b) => a - b)).toEqual(poolPids());
    const now = await admin.cpuSamples();
    for (const s of series) {
      expect(s.points).toBe(now);
      expect(typeof s.last).toBe('number'); // from the second read on, the server measures CPU %
    }
    expect((await admin.loadBars()).map((b) => b.pid)).toEqual(poolPids());

    // Add a worker: a third row.
    await admin.page.getByTestId('add-worker').click();
    await eventually(() => admin.workerRowPids(), (pids) => pids.length === 3, undefined, 'three worker rows');
    expect(await admin.workerRowPids()).toEqual(poolPids());
    const added = (await admin.workerRowPids()).find((pid) => !series.some((s) => s.pid === pid))!;
    expect(added).toBeDefined();

    // Drain it: it hosts no call, so it retires and its row goes.
    await admin.workerRow(added).getByTestId('drain').click();
    await eventually(async () => suite.t.app.get(MediaService).pool.get(added), (w) => w === undefined, 10_000, 'drained worker retired');
    await eventually(() => admin.workerRowPids(), (pids) => !pids.includes(added), undefined, 'drained worker row gone');
    expect(await admin.workerRowPids()).toEqual(poolPids());
    expect(admin.problems).toEqual([]);
  });

  it('lists a live call with its participants and worker pid; Force-end ends it for both sockets', async () => {
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    const a = await connectUser(suite.t.url, alice);
    const b = await connectUser(suite.t.url, bob);
    sockets.push(a, b);
    const { callId } = await ok<{ callId: string }>(a, 'call:initiate', { calleeIds: [bob], media: 'audio' });
    await ok(a, 'call:join', { callId });
    await ok(b, 'call:join', { callId });
    const host = suite.t.app.get(MediaService).room(callId).host.pid;

    const admin = await suite.openAdmin();
    const row = admin.callRow(callId);
    await row.waitFor({ state: 'visible' });
    expect(await row.getByTestId('call-worker').innerText()).toBe(String(host));
    expect(await row.getByTestId('call-status').innerText()).toBe('active');
    const participants = await row.getByTestId('call-participants').innerText();
    expect(participants).toContain(alice);
    expect(participants).toContain(bob);
    expect((await admin.calls()).find((c) => c.callId === callId)?.workerPid).toBe(host);
    // One gateway: the node table shows it alone, carrying this call and its two seated people.
    const [node] = await admin.nodes();
    expect(await admin.nodes()).toHaveLength(1);
    expect(node).toMatchObject({ self: true, alive: true, state: 'serving', calls: 1, peers: 2 });
    const nodeRow = admin.nodeRow(node.nodeId);
    expect(await nodeRow.getByTestId('node-calls').innerText()).toBe('1');
    expect(await nodeRow.getByTestId('node-state').innerText()).toBe('serving');
    expect(await row.getAttribute('data-node-id')).toBe(node.nodeId);

    const endedA = nextEvent<{ callId: string; reason: string }>(a, 'call:ended');
    const endedB = nextEvent<{ callId: string; reason: string }>(b, 'call:ended');
    admin.page.once('dialog', (d) => void d.accept());
    await row.getByTestId('force-end').click();
    for (const ended of await Promise.all([endedA, endedB])) expect(ended).toMatchObject({ callId, reason: 'force_ended' });
    await row.waitFor({ state: 'detached' });
    await admin.page.getByTestId('calls-empty').waitFor({ state: 'visible' });
    expect(admin.problems).toEqual([]);
  });

  it('a member token gets a visible FORBIDDEN error and no dashboard', async () => {
    const member = await suite.openAdmin({ signIn: false });
    member.expectedProblems.push(/403|FORBIDDEN|admin role required/);
    await member.signIn('member');
    const error = member.page.getByTestId('admin-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await error.innerText()).toContain('FORBIDDEN');
    expect(await member.state()).toBe('signed-out');
    expect(await member.page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(await member.refreshes()).toBe(0);
  });
});
