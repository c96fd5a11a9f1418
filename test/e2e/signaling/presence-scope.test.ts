/**
 * Presence goes only to those PRESENCE_SCOPE allows, and never to (or about) session guests.
 * Real gateway on real Redis, real socket.io clients.
 */
import type { Socket } from 'socket.io-client';
import { connectUser, connectWithToken, devToken, ok, request, startTestApp, type TestApp } from '../../support/app';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every presence:changed a socket receives, by user id. */
function watch(s: Socket): string[] {
  const seen: string[] = [];
  s.on('presence:changed', (e: { userId: string }) => seen.push(e.userId));
  return seen;
}
const settle = () => new Promise((r) => setTimeout(r, 300));

async function guestOf(t: TestApp, hostId: string): Promise<{ id: string; s: Socket }> {
  const hostToken = await devToken(t.url, hostId, 'Host', 'host');
  const created = (await (await fetch(`${t.url}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'G', startsAt: new Date().toISOString(), durationMinutes: 30 }),
  })).json()) as { sessionId: string; inviteUrl: string };
  const invite = new URL(created.inviteUrl).searchParams.get('invite');
  const g = (await (await fetch(`${t.url}/api/sessions/${created.sessionId}/guest-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invite, name: 'Guest' }) })).json()) as { token: string; userId: string };
  return { id: g.userId, s: await connectWithToken(t.url, g.token) };
}

describe.each(['organization', 'staff', 'none'] as const)('presence scope %s', (scope) => {
  let t: TestApp;
  const sockets: Socket[] = [];
  const u = (name: string) => `ps-${scope}-${process.pid}-${name}`;

  beforeAll(async () => {
    t = await startTestApp({ PRESENCE_SCOPE: scope, REDIS_URL, REDIS_PREFIX: `hearth-ps-${scope}-${process.pid}:` });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  const connectHost = (id: string) => connectUser(t.url, id, 'Dr. H', 'host');

  it('tells members what the scope allows, and guests nothing', async () => {
    const member = await connectUser(t.url, u('member'));
    const host = await connectHost(u('host'));
    sockets.push(member, host);
    const guest = await guestOf(t, u('session-host'));
    sockets.push(guest.s);
    await settle();

    const seen = { member: watch(member), host: watch(host), guest: watch(guest.s) };
    const other = await connectUser(t.url, u('other')); // a member comes online
    const otherHost = await connectHost(u('host2'));
    sockets.push(other, otherHost);
    await settle();

    // Guests are told nothing and listed nowhere, whatever the scope.
    expect(seen.guest).toEqual([]);
    expect(await request(guest.s, 'presence:list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const memberList = (await ok<{ users: { userId: string }[] }>(member, 'presence:list', {})).users.map((x) => x.userId);
    const hostList = (await ok<{ users: { userId: string }[] }>(host, 'presence:list', {})).users.map((x) => x.userId);
    expect(memberList).not.toContain(guest.id);
    expect(hostList).not.toContain(guest.id);

    if (scope === 'organization') {
      expect(seen.member).toEqual(expect.arrayContaining([u('other'), u('host2')]));
      expect(seen.host).toEqual(expect.arrayContaining([u('other'), u('host2')]));
      expect(memberList).toEqual(expect.arrayContaining([u('member'), u('host'), u('other'), u('host2')]));
    } else if (scope === 'staff') {
      // Members see hosts only; hosts see everyone.
      expect(seen.member).toEqual([u('host2')]);
      expect(seen.host).toEqual(expect.arrayContaining([u('other'), u('host2')]));
      expect(memberList.sort()).toEqual([u('host'), u('host2')].sort());
      expect(hostList).toEqual(expect.arrayContaining([u('member'), u('other'), u('host'), u('host2')]));
    } else {
      expect([seen.member, seen.host]).toEqual([[], []]);
      expect([memberList, hostList]).toEqual([[], []]);
    }
  });
});
