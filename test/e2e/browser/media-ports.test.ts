import { MediaService } from '../../../src/media/media.service';
import { bothWays, browserSuite, eventually, expectReceivingFrom, startOneToOneVideoCall, type BrowserSuite, type ClientPage } from '../../support/browser';

/**
 * Real Chromium through the worker's WebRtcServer: the browser's selected ICE candidate pair
 * (getStats) must end at the one port of the worker that hosts the call. Fixed ports in
 * 47400..47499, away from the other tests (they use RTC_SERVER_PORT=0).
 */

/** Both transports of both pages have a selected pair; returns them per page. */
async function selectedPairs(...pages: ClientPage[]) {
  return Promise.all(
    pages.map((p) =>
      eventually(
        () => p.selectedPairs(),
        (pairs) => pairs.length === 2,
        undefined,
        `${p.userId}: a selected candidate pair on the send and the receive transport`,
      ),
    ),
  );
}

/** One line per selected pair, for the test log. */
const describePairs = (page: ClientPage, pairs: Awaited<ReturnType<ClientPage['selectedPairs']>>) =>
  pairs.map((p) => `${page.userId} ${p.direction}: ${p.local.candidateType} ${p.local.protocol} ${p.local.address}:${p.local.port} -> ${p.remote.candidateType} ${p.remote.protocol} ${p.remote.address}:${p.remote.port}`);

/** The port the WebRtcServer of the worker hosting `callId` listens on for `protocol`. */
function hostPort(suite: BrowserSuite, callId: string, protocol: 'udp' | 'tcp'): number {
  const host = suite.t.app.get(MediaService).room(callId).host;
  const port = host.rtcListen.find((l) => l.protocol === protocol)?.port;
  if (port === undefined) throw new Error(`worker ${host.pid} listens on no ${protocol} port`);
  return port;
}

describe('browser: a 1:1 call through the WebRtcServer on fixed ports', () => {
  const BASE = 47400;
  const suite = browserSuite({ RTC_PORT_MODE: 'server', RTC_SERVER_PORT: String(BASE), RTC_MIN_PORT: '47500', RTC_MAX_PORT: '47999' });

  it('both sides decode each other over udp, and the remote candidate is the worker’s one port', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    for (const [me, other] of bothWays(alice, bob)) await expectReceivingFrom(me, other);

    const host = suite.t.app.get(MediaService).room(callId).host;
    const port = BASE + host.slot;
    expect(hostPort(suite, callId, 'udp')).toBe(port);
    const pairs = await selectedPairs(alice, bob);
    console.log(`selected pairs (udp,tcp offered):\n  ${[...describePairs(alice, pairs[0]), ...describePairs(bob, pairs[1])].join('\n  ')}`);
    for (const mine of pairs) {
      expect(mine.map((p) => p.direction).sort()).toEqual(['recv', 'send']);
      for (const { remote } of mine) expect(remote).toEqual({ candidateType: 'host', protocol: 'udp', address: '127.0.0.1', port });
    }
    // Four transports, one socket: the worker's WebRtcServer holds them all.
    expect((await host.webRtcServer!.dump()).webRtcTransportIds).toHaveLength(4);
  });
});

describe('browser: ICE over TCP through the WebRtcServer (RTC_PROTOCOLS=tcp)', () => {
  const BASE = 47410;
  const suite = browserSuite({ RTC_PORT_MODE: 'server', RTC_SERVER_PORT: String(BASE), RTC_PROTOCOLS: 'tcp', RTC_MIN_PORT: '47500', RTC_MAX_PORT: '47999' });

  it('both sides decode each other, and every selected pair is tcp to the worker’s port', async () => {
    const { alice, bob, callId } = await startOneToOneVideoCall(suite);
    for (const [me, other] of bothWays(alice, bob)) await expectReceivingFrom(me, other);

    const host = suite.t.app.get(MediaService).room(callId).host;
    expect(host.rtcListen).toEqual([{ protocol: 'tcp', ip: '127.0.0.1', port: BASE + host.slot }]);
    const pairs = await selectedPairs(alice, bob);
    console.log(`selected pairs (tcp only):\n  ${[...describePairs(alice, pairs[0]), ...describePairs(bob, pairs[1])].join('\n  ')}`);
    for (const mine of pairs) {
      expect(mine.map((p) => p.direction).sort()).toEqual(['recv', 'send']);
      for (const { local, remote } of mine) {
        expect(local.protocol).toBe('tcp');
        expect(remote).toEqual({ candidateType: 'host', protocol: 'tcp', address: '127.0.0.1', port: BASE + host.slot });
      }
    }
  });
});
