/**
 * The built server serving TLS itself picks up a renewed certificate on SIGHUP, without a
 * restart (a real process: a signal to the test runner would stop the runner).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { ensureTestDatabase, TEST_DATABASE_URL } from '../../support/app';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

const HOST = 'sfu.clinic.test';

function selfSigned(cert: string, key: string, newKey: boolean): void {
  const keyArgs = newKey ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key] : ['-key', key];
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-days', '2', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-out', cert], { stdio: 'ignore' });
}

function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: HOST, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('TLS certificate renewal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hearth-tls-reload-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGHUP loads the renewed certificate; connections after it get the new one', async () => {
    selfSigned(cert, key, true);
    await ensureTestDatabase();
    server = await startServerProcess({ DATABASE_URL: TEST_DATABASE_URL, MEDIASOUP_NUM_WORKERS: '1', TLS_CERT_FILE: cert, TLS_KEY_FILE: key, LOG_LEVEL: 'info' });
    const port = Number(new URL(server.url).port);
    const first = new X509Certificate(readFileSync(cert)).fingerprint256;
    expect(await servedFingerprint(port)).toBe(first);

    selfSigned(cert, key, false);
    const renewed = new X509Certificate(readFileSync(cert)).fingerprint256;
    expect(renewed).not.toBe(first);
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!server.output().includes('TLS certificate reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await servedFingerprint(port)).toBe(renewed);
    expect(server.child.exitCode).toBeNull();
  });
});
