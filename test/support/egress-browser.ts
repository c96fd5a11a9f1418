/**
 * Recording everything a Chromium page reaches for, for the no-egress test: every request,
 * failed request and websocket of every context, every RTCPeerConnection's ICE servers, ICE
 * errors and candidates, and (through Chromium's NetLog) every host name the browser itself
 * resolved or connected to, pages or not.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isLoopback } from './egress-sockets';

/**
 * Chromium flags: refuse to resolve any host name but the test server's (`MAP * ~NOTFOUND`
 * applies to IP literals too, hence the EXCLUDEs; see net/dns/mapped_host_resolver.h), and
 * write the NetLog to `netLogPath`.
 */
export function egressChromiumArgs(netLogPath: string): string[] {
  return ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost', `--log-net-log=${netLogPath}`, '--net-log-capture-mode=Default'];
}

export interface RecordedRequest {
  url: string;
  /** Resource type (document, script, fetch, websocket...). */
  type: string;
  page: string;
}

export interface FailedRequest extends RecordedRequest {
  error: string;
}

/** One ICE candidate from a peer connection's stats. */
export interface IceCandidate {
  side: 'local' | 'remote';
  candidateType: string;
  protocol: string;
  address: string;
  port: number;
  /** STUN/TURN server URL the candidate came from (srflx/relay), if any. */
  url?: string;
  relatedAddress?: string;
}

export interface IceRecord {
  /** The `iceServers` of every RTCPeerConnection constructor and setConfiguration call. */
  iceServers: Array<{ urls: string | string[] }>;
  /** Every `icecandidateerror` (a STUN/TURN server that could not be reached). */
  errors: Array<{ url: string; errorCode: number; errorText: string; address: string | null }>;
  /** Every candidate line the browser gathered itself (`icecandidate` events). */
  gathered: string[];
  /** Every local and remote candidate, and every candidate pair, seen in getStats. */
  candidates: IceCandidate[];
  pairs: Array<{ state: string; nominated: boolean; local: string; remote: string }>;
  /** How many RTCPeerConnections the page made. */
  peerConnections: number;
}

/**
 * Runs in every page before its own scripts: wraps RTCPeerConnection to record its ICE servers,
 * errors and gathered candidates; `__egress.sample()` reads every open connection's stats.
 * Plain JavaScript run in the page (the tests' tsconfig has no DOM types), hence the casts.
 */
function pageRecorder(): void {
  type Stat = Record<string, unknown> & { type: string; id: string };
  type Pc = {
    connectionState: string;
    getStats(): Promise<{ forEach(cb: (s: Stat) => void): void }>;
    addEventListener(type: string, cb: (e: Record<string, unknown>) => void): void;
  };
  const g = globalThis as unknown as Record<string, unknown>;
  const Maybe = g.RTCPeerConnection as (new (...args: unknown[]) => Pc) | undefined;
  if (!Maybe || g.__egress) return;
  const Native = Maybe;
  const nativeSetConfiguration = (Native.prototype as unknown as { setConfiguration(c: unknown): void }).setConfiguration;
  const pcs: Pc[] = [];
  const rec = {
    iceServers: [] as unknown[],
    errors: [] as unknown[],
    gathered: [] as string[],
    candidates: new Map<string, unknown>(),
    pairs: new Map<string, unknown>(),
  };
  const copyServers = (config: unknown) => {
    const servers = (config as { iceServers?: Array<{ urls: unknown }> } | undefined)?.iceServers ?? [];
    for (const s of servers) rec.iceServers.push({ urls: s.urls });
  };
  class Watched extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      copyServers(args[0]);
      pcs.push(this);
      this.addEventListener('icecandidateerror', (e) =>
        rec.errors.push({ url: String(e.url ?? ''), errorCode: Number(e.errorCode ?? 0), errorText: String(e.errorText ?? ''), address: (e.address as string) ?? null }),
      );
      this.addEventListener('icecandidate', (e) => {
        const c = e.candidate as { candidate?: string } | null;
        if (c?.candidate) rec.gathered.push(c.candidate);
      });
    }
    setConfiguration(config: unknown): void {
      copyServers(config);
      nativeSetConfiguration.call(this, config);
    }
  }
  g.RTCPeerConnection = Watched;
  g.__egress = {
    async sample() {
      for (const [i, pc] of pcs.entries()) {
        if (pc.connectionState === 'closed') continue;
        const report = await pc.getStats().catch(() => null);
        if (!report) continue;
        const byId = new Map<string, Stat>();
        report.forEach((s) => byId.set(s.id, s));
        for (const s of byId.values()) {
          if (s.type === 'local-candidate' || s.type === 'remote-candidate') {
            rec.candidates.set(`${i}:${s.id}`, {
              side: s.type === 'local-candidate' ? 'local' : 'remote',
              candidateType: String(s.candidateType ?? ''),
              protocol: String(s.protocol ?? ''),
              address: String(s.address ?? s.ip ?? ''),
              port: Number(s.port ?? 0),
              ...(s.url ? { url: String(s.url) } : {}),
              ...(s.relatedAddress ? { relatedAddress: String(s.relatedAddress) } : {}),
            });
          }
        }
        for (const s of byId.values()) {
          if (s.type !== 'candidate-pair') continue;
          const end = (id: unknown) => {
            const c = byId.get(String(id));
            return c ? `${String(c.candidateType)} ${String(c.protocol)} ${String(c.address ?? c.ip)}:${String(c.port)}` : String(id);
          };
          rec.pairs.set(`${i}:${s.id}`, { state: String(s.state), nominated: Boolean(s.nominated), local: end(s.localCandidateId), remote: end(s.remoteCandidateId) });
        }
      }
    },
    read() {
      return {
        iceServers: rec.iceServers,
        errors: rec.errors,
        gathered: rec.gathered,
        candidates: [...rec.candidates.values()],
        pairs: [...rec.pairs.values()],
        peerConnections: pcs.length,
      };
    },
  };
}

type EgressWindow = typeof globalThis & { __egress: { sample(): Promise<void>; read(): IceRecord } };

/**
 * Wraps `browser` so that every context a page object opens through it (`ClientPage.open`
 * calls `browser.newContext()`) records from its first request on.
 */
export class EgressRecorder {
  private readonly seen: Array<{ kind: 'request' | 'failed' | 'websocket'; url: string; type: string; page: Page | null; error?: string }> = [];
  /** Each page's ICE record, kept after the page closes. */
  private readonly ice = new Map<Page, IceRecord>();
  private readonly names = new Map<Page, string>();
  private readonly pages: Page[] = [];
  readonly browser: Browser;

  constructor(real: Browser) {
    this.browser = new Proxy(real, {
      get: (target, prop, receiver) => {
        if (prop === 'newContext') return async (...args: Parameters<Browser['newContext']>) => this.watch(await target.newContext(...args));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private async watch(context: BrowserContext): Promise<BrowserContext> {
    await context.addInitScript(pageRecorder);
    context.on('page', (page) => {
      this.pages.push(page);
      page.on('websocket', (ws) => this.seen.push({ kind: 'websocket', url: ws.url(), type: 'websocket', page }));
    });
    const pageOf = (r: { frame(): { page(): Page } }) => {
      try {
        return r.frame().page();
      } catch {
        return null; // a service worker's request
      }
    };
    context.on('request', (r) => this.seen.push({ kind: 'request', url: r.url(), type: r.resourceType(), page: pageOf(r) }));
    context.on('requestfailed', (r) => this.seen.push({ kind: 'failed', url: r.url(), type: r.resourceType(), page: pageOf(r), error: r.failure()?.errorText ?? '?' }));
    return context;
  }

  /** Names `page` in what this recorder reports (e.g. its user). */
  name(page: Page, name: string): void {
    this.names.set(page, name);
  }

  private nameOf(page: Page | null): string {
    if (!page) return 'no page';
    return this.names.get(page) ?? `page${this.pages.indexOf(page)}`;
  }

  private list(kind: 'request' | 'failed' | 'websocket'): FailedRequest[] {
    return this.seen.filter((r) => r.kind === kind).map((r) => ({ url: r.url, type: r.type, page: this.nameOf(r.page), error: r.error ?? '' }));
  }

  /** Every request of every page (Playwright's `request` events: websockets and the favicon are not among them). */
  get requests(): RecordedRequest[] {
    return this.list('request');
  }

  /** Every request that failed, with Chromium's error (e.g. net::ERR_NAME_NOT_RESOLVED). */
  get failed(): FailedRequest[] {
    return this.list('failed');
  }

  /** Every websocket any page opened. */
  get websockets(): RecordedRequest[] {
    return this.list('websocket');
  }

  /** Reads the ICE candidates, pairs and servers of `page`'s open peer connections now (call while media flows). */
  async sampleIce(page: Page): Promise<IceRecord> {
    const record = await page.evaluate(async () => {
      const e = (globalThis as EgressWindow).__egress;
      await e.sample();
      return e.read();
    });
    this.ice.set(page, record);
    return record;
  }

  /** Every page's last ICE record, by page name. */
  iceRecords(): Array<{ page: string; record: IceRecord }> {
    return [...this.ice.entries()].map(([p, record]) => ({ page: this.nameOf(p), record }));
  }
}

/** Hosts a page may reach: the test server's `host:port` under both names it answers to. */
export function serverHosts(baseUrl: string): string[] {
  const { port } = new URL(baseUrl);
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Why `url` is not on the test server, or null when it is. Only http(s)/ws(s) to one of `hosts`
 * pass, and the two schemes that never touch the network (data:, blob: of the server's own origin).
 */
export function offServer(url: string, hosts: string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a URL: ${url}`;
  }
  if (u.protocol === 'data:') return null;
  if (u.protocol === 'blob:') return offServer(url.slice('blob:'.length), hosts);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return `scheme ${u.protocol} (${url})`;
  return hosts.includes(u.host) ? null : `host ${u.host} (${url})`;
}

/** Host and address of an ICE server URL (`stun:host:port`, `turn:host?transport=udp`, `turns:[::1]:5349`). */
export function iceServerHost(url: string): string {
  const rest = url.replace(/^[a-z]+:/i, '').replace(/\?.*$/, '');
  const v6 = /^\[([^\]]+)\]/.exec(rest);
  return v6 ? v6[1] : rest.split(':')[0];
}

/** An ICE server on this machine (loopback literal or localhost): the only kind a clinic's own server could use in this test. */
export function iceServerLocal(url: string): boolean {
  const host = iceServerHost(url);
  return host === 'localhost' || isLoopback(host);
}

// ------------------------------------------------------------------ NetLog

export interface NetLogFindings {
  /** Every URL request of the browser's network stack: pages' and the browser's own. */
  requests: Array<{ url: string; initiator: string; isolationKey: string }>;
  /** Every HTTP stream (connection) the browser set up for a URL, preconnects (`<link rel=preconnect>`, predictor) included. */
  streams: Array<{ url: string; preconnect: boolean }>;
  /** Every host the browser's resolver was asked for, after the resolver rules (`~notfound`: refused); speculative: a DNS prefetch. */
  resolved: Array<{ host: string; anonymizationKey: string; speculative: boolean }>;
  /** Every address a TCP or UDP socket connected (or tried to connect) to, by event type. */
  connects: Array<{ type: string; address: string }>;
  /** Every address a UDP datagram was sent to (WebRTC's sockets included): UDP_BYTES_SENT. */
  udpSentTo: string[];
  /** How many events the log held: a sanity check that it was written at all. */
  events: number;
}

/**
 * Reads Chromium's NetLog (written with `--log-net-log`). The file ends with `]}` only when the
 * browser closed cleanly; a cut-off tail is dropped. Event types are numbered per build, named
 * in the log's `constants.logEventTypes`.
 */
export function readNetLog(path: string): NetLogFindings {
  let text = readFileSync(path, 'utf8').trimEnd();
  type Event = { type: number; params?: Record<string, unknown> };
  let log: { constants: { logEventTypes: Record<string, number> }; events: Event[] };
  try {
    log = JSON.parse(text);
  } catch {
    text = text.replace(/,?\s*[^\n]*$/, '');
    log = JSON.parse(`${text.replace(/,\s*$/, '')}]}`);
  }
  const names = new Map(Object.entries(log.constants.logEventTypes).map(([k, v]) => [v, k]));
  const out: NetLogFindings = { requests: [], streams: [], resolved: [], connects: [], udpSentTo: [], events: log.events.length };
  const once = new Set<string>();
  const add = <K extends 'requests' | 'streams' | 'resolved' | 'connects'>(key: K, value: NetLogFindings[K][number]) => {
    const id = `${key}:${JSON.stringify(value)}`;
    if (once.has(id)) return;
    once.add(id);
    (out[key] as Array<typeof value>).push(value);
  };
  const sent = new Set<string>();
  for (const e of log.events) {
    const type = names.get(e.type) ?? String(e.type);
    const p = e.params ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    if (type === 'URL_REQUEST_START_JOB' && typeof p.url === 'string') {
      add('requests', { url: p.url, initiator: str(p.initiator), isolationKey: str(p.network_isolation_key) });
    } else if (type === 'HTTP_STREAM_JOB_CONTROLLER' && typeof p.url === 'string') {
      add('streams', { url: p.url, preconnect: p.is_preconnect === true });
    } else if (type === 'HOST_RESOLVER_MANAGER_REQUEST' && typeof p.host === 'string') {
      add('resolved', { host: p.host, anonymizationKey: str(p.network_anonymization_key), speculative: p.is_speculative === true });
    } else if (type === 'TCP_CONNECT' || type === 'TCP_CONNECT_ATTEMPT' || type === 'UDP_CONNECT' || type === 'SOCKET_CONNECT') {
      if (typeof p.address === 'string') add('connects', { type, address: p.address });
      if (Array.isArray(p.address_list)) for (const a of p.address_list) add('connects', { type, address: String(a) });
    } else if (type === 'UDP_BYTES_SENT' && typeof p.address === 'string') {
      sent.add(p.address);
    }
  }
  out.udpSentTo = [...sent];
  return out;
}

/**
 * Connects a NetLog shows that are not egress, each with the reason: Chromium's host resolver
 * checks whether IPv6 is globally reachable by `connect()`ing a UDP socket to Google Public DNS's
 * IPv6 address (HostResolverManager's kIPv6ProbeAddress, port 443). A UDP connect() only picks a
 * route: no datagram is sent, which `udpSentTo` (every datagram's destination) confirms.
 */
export const INERT_CONNECTS: Array<{ type: string; address: RegExp; reason: string }> = [
  { type: 'UDP_CONNECT', address: /^\[2001:4860:4860::8888\]:\d+$/, reason: "Chromium's IPv6 reachability probe: a UDP connect() that sends nothing" },
  { type: 'SOCKET_CONNECT', address: /^\[2001:4860:4860::8888\]:\d+$/, reason: 'the same probe, as its client socket logs it' },
];

/** The host of a NetLog resolver entry, which is a bare name or a `scheme://host:port` (newer builds). */
export function netLogHost(entry: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:]+)/i.exec(entry);
  const host = m ? m[1] : entry.replace(/:\d+$/, '');
  return host.replace(/^\[|\]$/g, '');
}

/** The address part of `1.2.3.4:80` or `[::1]:80`. */
export function addressOf(endpoint: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(endpoint);
  return v6 ? v6[1] : endpoint.replace(/:\d+$/, '');
}
