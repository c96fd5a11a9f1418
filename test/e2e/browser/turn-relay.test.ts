import { createHmac } from 'node:crypto';
import { connectUser, ok } from '../../support/app';
import { browserSuite } from '../../support/browser';
import { startTurnServer, type TurnServer } from '../../support/turn';

/**
 * Calls through the organization's own TURN server: Debian's coturn with `use-auth-secret`, the
 * gateway minting credentials per `call:join`, and Chromium told to use relay candidates only.
 */
let turn: TurnServer;
const secret = `turn-${Math.random().toString(36).slice(2)}-secret`;
const ttl = 600;
const turnPort = 35_000 + Math.floor(Math.random() * 1000);

// coturn is up before the gateway starts (an outer beforeAll runs before the suite's).
beforeAll(async () => {
  turn = await startTurnServer(secret, turnPort);
});
afterAll(async () => {
  await turn?.stop();
});

describe('browser: calls relayed through TURN', () => {
  const suite = browserSuite({ TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET: secret, TURN_CREDENTIAL_TTL_SECONDS: String(ttl) });

  it('each call:join carries credentials minted for that user now, in coturn\'s use-auth-secret scheme', async () => {
    const alice = await connectUser(suite.t.url, 'alice-turn-ack');
    const bob = await connectUser(suite.t.url, 'bob-turn-ack');
    try {
      const { callId } = await ok<{ callId: string }>(alice, 'call:initiate', { calleeIds: ['bob-turn-ack'], media: 'audio' });
      const before = Math.floor(Date.now() / 1000);
      const ack = await ok<{ iceServers: Array<{ urls: string[]; username: string; credential: string }> }>(bob, 'call:join', { callId });
      const [entry] = ack.iceServers;
      expect(entry.urls).toEqual([`turn:127.0.0.1:${turn.port}?transport=udp`]);
      const [expiry, userId] = entry.username.split(':');
      expect(userId).toBe('bob-turn-ack');
      expect(Number(expiry)).toBeGreaterThanOrEqual(before + ttl);
      expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + ttl);
      expect(entry.credential).toBe(createHmac('sha1', secret).update(entry.username).digest('base64'));
      // An ICE restart allocates relays anew, so it gets credentials minted at that moment too.
      const { transportId } = await ok<{ transportId: string }>(bob, 'media:create-transport', { callId, direction: 'recv' });
      const restart = await ok<{ iceServers: Array<{ username: string; credential: string }> }>(bob, 'media:restart-ice', { transportId });
      expect(restart.iceServers[0].username).toMatch(/^\d+:bob-turn-ack$/);
      expect(restart.iceServers[0].credential).toBe(createHmac('sha1', secret).update(restart.iceServers[0].username).digest('base64'));
      await ok(alice, 'call:end', { callId });
    } finally {
      alice.disconnect();
      bob.disconnect();
    }
  });

  it('with relay forced, both sides decode each other\'s video and every selected candidate is a TURN relay', async () => {
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await alice.forceRelay();
    await bob.forceRelay();
    await alice.call([bob.userId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    for (const page of [alice, bob]) {
      const pairs = await page.selectedPairs();
      expect(pairs.map((p) => p.direction).sort()).toEqual(['recv', 'send']);
      for (const pair of pairs) {
        expect(pair.local.candidateType).toBe('relay');
        // The relay's address is coturn's relay IP; the far end is the SFU itself, never the other client.
        expect(pair.local.address).toBe('127.0.0.1');
      }
    }
  });
});
