/**
 * The gateway's HTTP and socket.io edges as a browser and an outsider meet them: security
 * headers with a strict CSP, CORS only for the allowlist, cross-site writes and WebSockets
 * refused, bounded bodies and messages, /metrics behind its token or on its own listener,
 * /api/docs switchable. Real server, real HTTP, real socket.io.
 */
import { io } from 'socket.io-client';
import { MetricsListener } from '../../../src/health/metrics-listener';
import { connectUser, devToken, ok, startTestApp, type TestApp } from '../../support/app';

const PORTAL = 'https://portal.example.org';
const METRICS_TOKEN = 'metrics-token-0123456789';

describe('HTTP hardening', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: PORTAL, METRICS_TOKEN, HTTP_BODY_LIMIT_BYTES: '2048', SOCKET_MAX_PAYLOAD_BYTES: '8192' });
  });
  afterAll(() => t.close());

  it('serves the client under a strict CSP, with no HSTS over plain http', async () => {
    const res = await fetch(`${t.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // The built pages carry no inline script the CSP would have to allow.
    for (const page of ['/', '/admin.html']) {
      const html = await (await fetch(`${t.url}${page}`)).text();
      expect(html).toMatch(/<script[^>]+src=/);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=|<style/);
    }
  });

  it('answers CORS only for allowed origins, and refuses cross-site writes', async () => {
    const allowed = await fetch(`${t.url}/api/me`, { method: 'OPTIONS', headers: { origin: PORTAL, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
    const other = await fetch(`${t.url}/api/me`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const token = await devToken(t.url, 'hard-host', 'H', 'host');
    const body = JSON.stringify({ title: 'x', startsAt: new Date().toISOString(), durationMinutes: 30 });
    const crossSite = await fetch(`${t.url}/api/sessions`, { method: 'POST', headers: { origin: 'https://evil.example', authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'origin not allowed' } });
    const fromPortal = await fetch(`${t.url}/api/sessions`, { method: 'POST', headers: { origin: PORTAL, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    expect(fromPortal.status).toBe(201);
  });

  it('bounds REST bodies and socket messages with typed errors, and refuses WebSockets from other sites', async () => {
    const token = await devToken(t.url, 'hard-big', 'B', 'host');
    const big = await fetch(`${t.url}/api/sessions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x'.repeat(4000) }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    const bad = await fetch(`${t.url}/api/sessions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);

    const s = await connectUser(t.url, 'hard-sock');
    const closed = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    s.emit('presence:list', { pad: 'x'.repeat(20_000) }, () => undefined);
    expect(await closed).toBe('transport close');
    // The server is fine: the next socket works.
    const next = await connectUser(t.url, 'hard-sock-2');
    expect(await ok(next, 'presence:list', {})).toHaveProperty('users');
    next.disconnect();

    const hijack = io(t.url, { auth: { token: await devToken(t.url, 'hard-ws', 'W') }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: 'https://evil.example' } });
    const refused = await new Promise<boolean>((resolve) => {
      hijack.once('connect', () => resolve(false));
      hijack.once('connect_error', () => resolve(true));
    });
    hijack.close();
    expect(refused).toBe(true);
  });

  it('serves /metrics only with METRICS_TOKEN', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/hearth_busy_locks \d+/);
  });
});

describe('HTTP hardening: metrics on their own listener, no API docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_PORT: String(20000 + (process.pid % 20000)), METRICS_HOST: '127.0.0.1', API_DOCS: '0' });
  });
  afterAll(() => t.close());

  it('moves /metrics off the main port, and switches /api/docs off', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
    const port = t.app.get(MetricsListener).port!;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/hearth_calls\{/);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`${t.url}/api/docs`)).status).toBe(404);
    expect((await fetch(`${t.url}/api/docs-json`)).status).toBe(404);
  });
});
