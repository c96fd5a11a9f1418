/**
 * The gateway serving HTTPS and WSS itself (TLS_CERT_FILE / TLS_KEY_FILE), opened by Chromium
 * under a real hostname, so the page is a genuine secure origin (camera access, wss signaling).
 * The self-signed certificate is trusted by its key's fingerprint, not by ignoring TLS errors.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { browserSuite } from '../../support/browser';

const HOST = 'sfu.clinic.test';
const dir = mkdtempSync(path.join(tmpdir(), 'hearth-tls-'));
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
  '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', key, '-out', cert,
], { stdio: 'ignore' });
// base64(sha256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list pins.
const spki = execFileSync('sh', ['-c', `openssl x509 -in "${cert}" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`], { encoding: 'utf8' }).trim();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('browser: the gateway serving TLS itself', () => {
  const suite = browserSuite(
    { TLS_CERT_FILE: cert, TLS_KEY_FILE: key },
    {
      chromiumArgs: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spki}`],
      baseUrl: (t) => `https://${HOST}:${new URL(t.url).port}`,
    },
  );

  it('serves https only, with the configured certificate', async () => {
    const port = Number(new URL(suite.t.url).port);
    const served = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: HOST, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(served).toBe(new X509Certificate(readFileSync(cert)).fingerprint256);
    // Plain http on the same port is not answered as a page.
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });

  it('a 1:1 video call on a secure origin: pages on https, signaling over wss, both decode video', async () => {
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    for (const p of [alice, bob]) {
      const origin = await p.page.evaluate(() => {
        const w = globalThis as unknown as { isSecureContext: boolean; location: { href: string } };
        return { secure: w.isSecureContext, href: w.location.href };
      });
      expect(origin.secure).toBe(true);
      expect(origin.href.startsWith(`https://${HOST}:`)).toBe(true);
    }
    const sockets: string[] = [];
    bob.page.on('websocket', (ws) => sockets.push(ws.url()));
    await bob.page.reload();
    await bob.signIn('bob');
    expect(sockets.some((u) => u.startsWith(`wss://${HOST}:`))).toBe(true);
    await alice.call([bob.userId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
  });
});
