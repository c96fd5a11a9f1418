import type { types as ms } from 'mediasoup';
import { loadConfig } from '../config/app-config';
import { describeListen, rtcNetwork, slotPort, webRtcServerListenInfos, webRtcTransportListen, type RtcNetwork } from './rtc-network';

const network = (env: Record<string, string> = {}): RtcNetwork => rtcNetwork(loadConfig({}, { MEDIASOUP_NUM_WORKERS: '2', ...env }));
const fakeServer = (closed = false) => ({ closed }) as unknown as ms.WebRtcServer;

describe('rtc network settings', () => {
  it('defaults: server mode from port 40000, udp and tcp on 127.0.0.1, transports range 40100..49999', () => {
    expect(network()).toEqual({ mode: 'server', listenIp: '127.0.0.1', protocols: ['udp', 'tcp'], serverPort: 40000, portRange: { min: 40100, max: 49999 } });
  });

  it('gives worker slot k the port RTC_SERVER_PORT + k for every protocol, with the announced address', () => {
    const net = network({ RTC_SERVER_PORT: '39000', MEDIASOUP_LISTEN_IP: '0.0.0.0', MEDIASOUP_ANNOUNCED_ADDRESS: 'sfu.clinic.example' });
    expect(webRtcServerListenInfos(net, 0)).toEqual([
      { protocol: 'udp', ip: '0.0.0.0', announcedAddress: 'sfu.clinic.example', port: 39000 },
      { protocol: 'tcp', ip: '0.0.0.0', announcedAddress: 'sfu.clinic.example', port: 39000 },
    ]);
    expect(webRtcServerListenInfos(net, 3).map((l) => l.port)).toEqual([39003, 39003]);
    expect(describeListen(net, 1)).toBe('udp+tcp 0.0.0.0:39001');
    expect(describeListen(network({ RTC_SERVER_PORT: '39000', MEDIASOUP_LISTEN_IP: '::', MEDIASOUP_ANNOUNCED_ADDRESS: '2001:db8::7' }), 0)).toBe('udp+tcp [::]:39000');
  });

  it('RTC_SERVER_PORT=0 takes any free port of the range instead of a fixed one', () => {
    const net = network({ RTC_SERVER_PORT: '0' });
    expect(slotPort(net, 5)).toBeUndefined();
    expect(webRtcServerListenInfos(net, 5)).toEqual([
      { protocol: 'udp', ip: '127.0.0.1', portRange: { min: 40100, max: 49999 } },
      { protocol: 'tcp', ip: '127.0.0.1', portRange: { min: 40100, max: 49999 } },
    ]);
    expect(describeListen(net, 5)).toBe('udp+tcp 127.0.0.1, a port of 40100..49999');
  });

  it('refuses a slot whose port would run into the transport range or past 65535', () => {
    expect(() => slotPort(network(), 100)).toThrow(/40100, inside RTC_MIN_PORT..RTC_MAX_PORT/);
    expect(() => slotPort(network({ RTC_SERVER_PORT: '65535', MEDIASOUP_NUM_WORKERS: '1' }), 1)).toThrow(/above 65535/);
  });

  it('server mode: transports use the worker’s WebRtcServer; udp preferred when both protocols are on', () => {
    const server = fakeServer();
    expect(webRtcTransportListen(network(), server)).toEqual({ webRtcServer: server, enableUdp: true, enableTcp: true, preferUdp: true });
    expect(webRtcTransportListen(network({ RTC_PROTOCOLS: 'tcp' }), server)).toEqual({ webRtcServer: server, enableUdp: false, enableTcp: true, preferUdp: false });
    expect(webRtcServerListenInfos(network({ RTC_PROTOCOLS: 'tcp' }), 0).map((l) => l.protocol)).toEqual(['tcp']);
    expect(() => webRtcTransportListen(network(), undefined)).toThrow(/no open WebRtcServer/);
    expect(() => webRtcTransportListen(network(), fakeServer(true))).toThrow(/no open WebRtcServer/);
  });

  it('range mode: every transport listens on its own port of the range, whatever the worker', () => {
    const net = network({ RTC_PORT_MODE: 'range', RTC_PROTOCOLS: 'udp', MEDIASOUP_ANNOUNCED_ADDRESS: '203.0.113.7' });
    expect(webRtcTransportListen(net, fakeServer())).toEqual({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', announcedAddress: '203.0.113.7', portRange: { min: 40100, max: 49999 } }],
      enableUdp: true,
      enableTcp: false,
      preferUdp: false,
    });
  });
});

describe('rtc network validation at boot', () => {
  it.each([
    [{ MEDIASOUP_LISTEN_IP: 'localhost' }, 'MEDIASOUP_LISTEN_IP: MEDIASOUP_LISTEN_IP must be an IPv4 or IPv6 address'],
    [{ MEDIASOUP_ANNOUNCED_ADDRESS: 'https://sfu.example.org' }, 'MEDIASOUP_ANNOUNCED_ADDRESS: MEDIASOUP_ANNOUNCED_ADDRESS must be an IP address or a hostname'],
    [{ MEDIASOUP_ANNOUNCED_ADDRESS: '203.0.113.7:40000' }, 'MEDIASOUP_ANNOUNCED_ADDRESS: MEDIASOUP_ANNOUNCED_ADDRESS must be an IP address or a hostname'],
    [{ MEDIASOUP_LISTEN_IP: '0.0.0.0' }, 'MEDIASOUP_ANNOUNCED_ADDRESS: MEDIASOUP_LISTEN_IP=0.0.0.0 binds every interface'],
    [{ MEDIASOUP_LISTEN_IP: '::' }, 'MEDIASOUP_ANNOUNCED_ADDRESS: MEDIASOUP_LISTEN_IP=:: binds every interface'],
    [{ RTC_PORT_MODE: 'both' }, 'RTC_PORT_MODE'],
    [{ RTC_PROTOCOLS: 'udp,sctp' }, 'RTC_PROTOCOLS: RTC_PROTOCOLS must be udp, tcp or udp,tcp'],
    [{ RTC_PROTOCOLS: ' , ' }, 'RTC_PROTOCOLS'],
    [{ RTC_SERVER_PORT: '65535' }, 'RTC_SERVER_PORT: RTC_SERVER_PORT=65535 with 2 workers needs ports up to 65536'],
    [{ RTC_SERVER_PORT: '40099' }, 'RTC_SERVER_PORT: the WebRtcServer ports 40099..40100 (one per worker) overlap RTC_MIN_PORT..RTC_MAX_PORT (40100..49999)'],
    [{ RTC_SERVER_PORT: '45000' }, 'RTC_SERVER_PORT: the WebRtcServer ports 45000..45001'],
  ])('%j is refused, naming the setting', (env, message) => {
    expect(() => loadConfig({}, { MEDIASOUP_NUM_WORKERS: '2', ...env })).toThrow(message);
  });

  it.each([
    { MEDIASOUP_LISTEN_IP: '0.0.0.0', MEDIASOUP_ANNOUNCED_ADDRESS: '203.0.113.7' },
    { MEDIASOUP_LISTEN_IP: '::1', MEDIASOUP_ANNOUNCED_ADDRESS: 'sfu.clinic.example' },
    { RTC_SERVER_PORT: '40098' }, // 40098, 40099: just below the range
    { RTC_SERVER_PORT: '0' }, // any port of the range, so no overlap to check
    { RTC_PORT_MODE: 'range', RTC_SERVER_PORT: '45000' }, // the server port is not used in range mode
    { RTC_PROTOCOLS: 'TCP, udp' },
  ])('%j is accepted', (env) => {
    expect(() => loadConfig({}, { MEDIASOUP_NUM_WORKERS: '2', ...env })).not.toThrow();
  });
});
