import type { types as ms } from 'mediasoup';
import type { AppConfig } from '../config/app-config';

export type RtcProtocol = 'udp' | 'tcp';

/**
 * How WebRTC transports meet the network. `server`: every transport of a worker shares that
 * worker's WebRtcServer (one UDP and one TCP port per worker slot). `range`: each transport
 * binds its own ports from `portRange`. The bind IP and the announced address apply to both.
 */
export interface RtcNetwork {
  mode: 'server' | 'range';
  listenIp: string;
  /** Put in ICE candidates instead of `listenIp` (NAT, containers). */
  announcedAddress?: string;
  /** Candidates offered to clients; UDP is preferred when both are. */
  protocols: RtcProtocol[];
  /** Slot k's WebRtcServer listens on `serverPort + k`; 0: any free port of `portRange`. */
  serverPort: number;
  /** Per-transport ports (range mode) and the workers' own ports (pipes between workers, plain transports). */
  portRange: { min: number; max: number };
}

export function rtcNetwork(config: Pick<AppConfig, 'RTC_PORT_MODE' | 'MEDIASOUP_LISTEN_IP' | 'MEDIASOUP_ANNOUNCED_ADDRESS' | 'RTC_PROTOCOLS' | 'RTC_SERVER_PORT' | 'RTC_MIN_PORT' | 'RTC_MAX_PORT'>): RtcNetwork {
  return {
    mode: config.RTC_PORT_MODE,
    listenIp: config.MEDIASOUP_LISTEN_IP,
    ...(config.MEDIASOUP_ANNOUNCED_ADDRESS ? { announcedAddress: config.MEDIASOUP_ANNOUNCED_ADDRESS } : {}),
    protocols: config.RTC_PROTOCOLS,
    serverPort: config.RTC_SERVER_PORT,
    portRange: { min: config.RTC_MIN_PORT, max: config.RTC_MAX_PORT },
  };
}

/**
 * The port slot `slot`'s WebRtcServer listens on (UDP and TCP alike); undefined when any free
 * port of the range will do. Throws when the slot runs past 65535 or into the transport range,
 * where a worker's pipe or plain transport could take it first.
 */
export function slotPort(net: RtcNetwork, slot: number): number | undefined {
  if (net.serverPort === 0) return undefined;
  const port = net.serverPort + slot;
  if (port > 65535) throw new RangeError(`worker slot ${slot} would listen on port ${port}, above 65535 (RTC_SERVER_PORT=${net.serverPort})`);
  if (port >= net.portRange.min && port <= net.portRange.max) {
    throw new RangeError(`worker slot ${slot} would listen on port ${port}, inside RTC_MIN_PORT..RTC_MAX_PORT (${net.portRange.min}..${net.portRange.max})`);
  }
  return port;
}

/** One listen info per configured protocol, on `port` or (undefined) any free port of the range. */
function listenInfos(net: RtcNetwork, port: number | undefined): ms.TransportListenInfo[] {
  return net.protocols.map((protocol) => ({
    protocol,
    ip: net.listenIp,
    ...(net.announcedAddress ? { announcedAddress: net.announcedAddress } : {}),
    ...(port === undefined ? { portRange: net.portRange } : { port }),
  }));
}

/** The listen infos of slot `slot`'s WebRtcServer: one per configured protocol. */
export function webRtcServerListenInfos(net: RtcNetwork, slot: number): ms.TransportListenInfo[] {
  return listenInfos(net, slotPort(net, slot));
}

type WebRtcListen = ({ webRtcServer: ms.WebRtcServer } | { listenInfos: ms.TransportListenInfo[] }) & {
  enableUdp: boolean;
  enableTcp: boolean;
  preferUdp: boolean;
};

/**
 * Where a new WebRtcTransport listens: on its worker's WebRtcServer (server mode; `server` must
 * be the WebRtcServer of the worker whose router creates the transport) or on its own ports.
 */
export function webRtcTransportListen(net: RtcNetwork, server: ms.WebRtcServer | undefined): WebRtcListen {
  const enableUdp = net.protocols.includes('udp');
  const enableTcp = net.protocols.includes('tcp');
  const flags = { enableUdp, enableTcp, preferUdp: enableUdp && enableTcp };
  if (net.mode === 'server') {
    if (!server || server.closed) throw new Error('the media worker has no open WebRtcServer');
    return { webRtcServer: server, ...flags };
  }
  return { listenInfos: listenInfos(net, undefined), ...flags };
}

/** One socket a WebRtcServer bound, as operators and logs see it. */
export interface RtcListenAddress {
  protocol: RtcProtocol;
  ip: string;
  port: number;
}

/** Human-readable "udp+tcp 127.0.0.1:40000" (or "… a port of 40100..49999") for logs and errors. */
export function describeListen(net: RtcNetwork, slot: number): string {
  const protocols = net.protocols.join('+');
  const host = net.listenIp.includes(':') ? `[${net.listenIp}]` : net.listenIp;
  if (net.serverPort === 0) return `${protocols} ${host}, a port of ${net.portRange.min}..${net.portRange.max}`;
  return `${protocols} ${host}:${net.serverPort + slot}`;
}
