/**
 * Every outbound connection this Node process makes while recording: TCP (net.Socket#connect,
 * under http, https, tls, pg, ioredis and fetch alike), UDP (dgram connect/send) and host name
 * lookups (dns). The server runs in this (Jest) process, so this sees every connection it
 * starts, however short-lived: the /proc samples can miss one that opens and closes between two
 * looks. Core modules are one instance per process, so the server's modules see the patches.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

export interface NodeEgress {
  /** `host:port` as each TCP connect was asked for (before any lookup); unix-socket paths are not listed. */
  tcpAsked: string[];
  /** `address:port` each TCP socket actually connected to. */
  tcpConnected: string[];
  /** `address:port` of each UDP connect or send. */
  udp: string[];
  /** Each host name passed to dns.lookup / dns.resolve*. */
  lookups: string[];
}

type Patch = { target: Record<string, unknown>; key: string; original: unknown };

/** Starts recording; `stop()` restores the patched functions. */
export function recordNodeEgress(): { record: NodeEgress; stop(): void } {
  const record: NodeEgress = { tcpAsked: [], tcpConnected: [], udp: [], lookups: [] };
  const patches: Patch[] = [];
  const patch = (target: object, key: string, wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown) => {
    const t = target as Record<string, unknown>;
    const original = t[key] as (...args: unknown[]) => unknown;
    patches.push({ target: t, key, original });
    t[key] = wrap(original);
  };
  const endpoint = (host: unknown, port: unknown) => {
    const h = String(host ?? 'localhost');
    return `${h.includes(':') ? `[${h}]` : h}:${String(port)}`;
  };

  patch(net.Socket.prototype, 'connect', (original) =>
    function (this: net.Socket, ...args: unknown[]) {
      // net.connect() hands over its normalized [options, callback]; direct calls pass (options | port, host?, cb?).
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      const opts = (typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined }) as {
        port?: unknown;
        host?: unknown;
        path?: unknown;
      };
      if (opts.path === undefined && opts.port !== undefined) {
        record.tcpAsked.push(endpoint(opts.host, opts.port));
        this.once('connect', () => record.tcpConnected.push(endpoint(this.remoteAddress, this.remotePort)));
      }
      return original.apply(this, args);
    },
  );
  patch(dgram.Socket.prototype, 'connect', (original) =>
    function (this: dgram.Socket, ...args: unknown[]) {
      record.udp.push(endpoint(typeof args[1] === 'string' ? args[1] : undefined, args[0]));
      return original.apply(this, args);
    },
  );
  patch(dgram.Socket.prototype, 'send', (original) =>
    function (this: dgram.Socket, ...args: unknown[]) {
      // send(msg, [offset, length,] port, address, cb): the address is the string after the port, if any (connected sockets omit both).
      const at = args.findIndex((a, i) => i > 0 && typeof a === 'string');
      if (at > 0) record.udp.push(endpoint(args[at], args[at - 1]));
      return original.apply(this, args);
    },
  );
  for (const key of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveSrv', 'resolveTxt']) {
    patch(dns, key, (original) =>
      function (this: unknown, ...args: unknown[]) {
        record.lookups.push(String(args[0]));
        return original.apply(this, args);
      },
    );
    patch(dns.promises, key, (original) =>
      function (this: unknown, ...args: unknown[]) {
        record.lookups.push(String(args[0]));
        return original.apply(this, args);
      },
    );
  }
  return {
    record,
    stop: () => {
      for (const p of patches.reverse()) p.target[p.key] = p.original;
    },
  };
}
