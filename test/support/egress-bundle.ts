/**
 * Scanning the built client (client/dist) for anything that points off the clinic's server:
 * absolute URLs (http, https, ws, wss, ftp), protocol-relative `//host` references, STUN/TURN
 * URIs and the names of well-known third-party hosts. For the no-egress test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface BundleFinding {
  file: string;
  line: number;
  match: string;
  /** A little of the text around the match, to see where it comes from. */
  context: string;
}

/**
 * Strings that look like URLs but are never fetched, each with the reason. Anything else that
 * matches a URL pattern is a finding. Each pattern must match the whole URL found.
 */
export const INERT_URLS: Array<{ pattern: RegExp; reason: string }> = [
  {
    pattern: /^http:\/\/www\.webrtc\.org\/experiments\/rtp-hdrext\/(abs-send-time|video-timing|video-content-type|playout-delay|color-space)$/,
    reason: 'RTP header extension URI (RFC 8285 `a=extmap`): an identifier in SDP that mediasoup-client matches against the router\'s capabilities; never dereferenced',
  },
  {
    pattern: /^http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01$/,
    reason: 'RTP header extension URI (transport-wide congestion control) in mediasoup-client\'s SDP handling; an identifier, never dereferenced',
  },
  {
    pattern: /^https:\/\/aomediacodec\.github\.io\/av1-rtp-spec\/#dependency-descriptor-rtp-header-extension$/,
    reason: 'RTP header extension URI (AV1 dependency descriptor) in mediasoup-client\'s SDP handling; an identifier, never dereferenced',
  },
  {
    pattern: /^https:\/\/socket\.io\/docs\/v3\/migrating-from-2-x-to-3-0\/$/,
    reason: 'text of an error message in socket.io-client ("...more information here: <url>") shown to a developer; never fetched',
  },
  {
    pattern: /^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xhtml|1999\/xlink|1998\/Math\/MathML|XML\/1998\/namespace)$/,
    reason: 'XML namespace URI (createElementNS / xmlns): an identifier, never dereferenced',
  },
];

/**
 * Scheme prefixes that name no host: the bare `https://` that socket.io-client prepends to a host
 * it was given without a scheme (the client always passes `window.location.origin`), and `ws://`/
 * `wss://`/`http://` built the same way. Found as a match with nothing after `//`.
 */
const BARE_SCHEME = /^(https?|wss?):\/\/$/;

/** Hosts a bundle must never name, with or without a scheme: CDNs, font and analytics services, public STUN/TURN. */
export const THIRD_PARTY_HOSTS = [
  'fonts.googleapis.com',
  'fonts.gstatic.com',
  'ajax.googleapis.com',
  'www.google-analytics.com',
  'google-analytics.com',
  'googletagmanager.com',
  'doubleclick.net',
  'stun.l.google.com',
  'stun1.l.google.com',
  'global.stun.twilio.com',
  'global.turn.twilio.com',
  'stun.services.mozilla.com',
  'cdn.jsdelivr.net',
  'unpkg.com',
  'cdnjs.cloudflare.com',
  'cdn.socket.io',
  'use.typekit.net',
  'use.fontawesome.com',
  'kit.fontawesome.com',
  'sentry.io',
  'browser.sentry-cdn.com',
  'js.stripe.com',
  'plausible.io',
  'static.cloudflareinsights.com',
];

/** `scheme://...` up to a character that cannot be in a URL in source text. */
const ABSOLUTE = /\b(?:https?|wss?|ftp):\/\/[^\s"'`<>()\\{}|^]*/gi;
/** `//host.tld` after a quote, backtick, `(`, `=` or whitespace: a protocol-relative URL (CSS `url(//...)`, `src="//..."`). */
const PROTOCOL_RELATIVE = /(?<=["'`(=\s])\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?(?=[/"'`)\s:?#])/gi;
/** A STUN/TURN URI (RFC 7064/7065): `stun:host`, `turns:host:port?transport=tcp`. `\b` keeps `return:` out. */
const ICE_URI = /\b(?:stuns?|turns?):(?!\/\/)[a-z0-9.[\]:-]+(?:\?transport=[a-z]+)?/gi;

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function find(file: string, text: string, re: RegExp, keep: (match: string) => boolean, out: BundleFinding[]): void {
  for (const m of text.matchAll(re)) {
    const match = m[0].replace(/[.,;:]+$/, '');
    if (!keep(match)) continue;
    const at = m.index ?? 0;
    out.push({ file, line: lineAt(text, at), match, context: text.slice(Math.max(0, at - 60), at + match.length + 40).replace(/\s+/g, ' ') });
  }
}

/** The findings in one text: URLs not listed in INERT_URLS, protocol-relative URLs, ICE URIs, third-party host names. */
export function scanText(file: string, text: string): BundleFinding[] {
  const out: BundleFinding[] = [];
  find(file, text, ABSOLUTE, (u) => !BARE_SCHEME.test(u) && !INERT_URLS.some((a) => a.pattern.test(u)), out);
  find(file, text, PROTOCOL_RELATIVE, () => true, out);
  find(file, text, ICE_URI, () => true, out);
  for (const host of THIRD_PARTY_HOSTS) {
    const re = new RegExp(`(?<![a-z0-9.-])${host.replace(/\./g, '\\.')}(?![a-z0-9-])`, 'gi');
    const named: BundleFinding[] = [];
    find(file, text, re, () => true, named);
    // A host already reported as part of a URL above is not reported twice.
    out.push(...named.filter((n) => !out.some((f) => f.line === n.line && f.match.toLowerCase().includes(host))));
  }
  return dedupe(out);
}

function dedupe(findings: BundleFinding[]): BundleFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}:${f.line}:${f.context}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A source map's fields a browser's devtools fetch (`file`, `sourceRoot`, `sources`) must be
 * relative. Its `sourcesContent` (the original sources, comments and all, only displayed in
 * devtools) is neither run nor fetched: every URL in code that survives the build is in the
 * .js file the map belongs to, which is scanned in full.
 */
export function scanSourceMap(file: string, text: string): BundleFinding[] {
  let map: { file?: string; sourceRoot?: string; sources?: string[] };
  try {
    map = JSON.parse(text);
  } catch {
    return [{ file, line: 1, match: '(not JSON)', context: 'a .map file that is not a source map: scanned as text instead' }, ...scanText(file, text)];
  }
  const fetched = [map.file ?? '', map.sourceRoot ?? '', ...(map.sources ?? [])];
  return fetched
    .filter((s) => /^[a-z][a-z0-9+.-]*:/i.test(s) || s.startsWith('//'))
    .map((s) => ({ file, line: 1, match: s, context: 'a source map field devtools fetch (file, sourceRoot or sources)' }));
}

/** Every file under `dir`, relative paths. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = path.join(rel, name);
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Every file of the build: maps by their fetched fields, everything else as text. */
export function scanBundle(dir: string): { files: string[]; findings: BundleFinding[] } {
  const files = filesUnder(dir);
  const findings = files.flatMap((f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    return f.endsWith('.map') ? scanSourceMap(f, text) : scanText(f, text);
  });
  return { files, findings };
}
