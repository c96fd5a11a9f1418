import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The repository root: the image's build context, as an admin uses it. */
export const ROOT = path.resolve(__dirname, '..', '..');

/**
 * podman as this machine kind needs it (shared/notes/containers.md): the default crun fails
 * on hybrid cgroups, and podman's default ulimits exceed the sandbox's hard limits.
 */
const GLOBAL_FLAGS = ['--runtime', 'runc'];
const hardNofile = Number(spawnSync('sh', ['-c', 'ulimit -Hn']).stdout.toString().trim()) || 1024;
export const ULIMITS = ['--ulimit', `nofile=${Math.min(hardNofile, 65536)}:${Math.min(hardNofile, 65536)}`, '--ulimit', 'nproc=4096:4096'];

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws on a non-zero exit (the caller decides). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; logFile?: string; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = opts.logFile ? createWriteStream(opts.logFile) : undefined;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      log?.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      log?.write(d);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      log?.end();
      resolve({ code, stdout, stderr });
    });
  });
}

export function podman(args: string[], opts: { timeoutMs?: number; logFile?: string } = {}): Promise<Result> {
  return run('podman', [...GLOBAL_FLAGS, ...args], opts);
}

/** Like podman(), but throws with its output unless it exits 0; resolves its stdout. */
export async function podmanOk(args: string[], opts: { timeoutMs?: number; logFile?: string } = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.slice(0, 3).join(' ')} … exited ${r.code}:\n${tail(r.stdout + r.stderr, 60)}`);
  return r.stdout;
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export interface BuildReport {
  seconds: number;
  /** Whether the worker compile step came from the layer cache. */
  workerCached: boolean;
  /** Whether the server/client build step came from the layer cache. */
  sourceCached: boolean;
  logFile: string;
}

/** The CA bundle handed to the build as the `extra-ca` secret, when this host has one. */
export function extraCaFile(): string | undefined {
  const candidates = [process.env.EXTRA_CA_FILE, process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'];
  return candidates.find((f): f is string => !!f && spawnSync('test', ['-s', f]).status === 0);
}

/**
 * `podman build` the way the README tells an admin to: the repository root as context,
 * docker/Dockerfile, the extra-ca secret, docker format so HEALTHCHECK is kept.
 */
export async function buildImage(tag: string, context = ROOT, label = 'build'): Promise<BuildReport> {
  const ca = extraCaFile();
  const logFile = path.join(os.tmpdir(), `hearth-deploy-${label}-${process.pid}.log`);
  const t0 = Date.now();
  await podmanOk(
    [
      'build',
      ...ULIMITS,
      '--network',
      'host',
      '--format',
      'docker',
      ...(ca ? ['--secret', `id=extra-ca,src=${ca}`] : []),
      '-f',
      path.join(context, 'docker', 'Dockerfile'),
      '-t',
      tag,
      context,
    ],
    { timeoutMs: 45 * 60_000, logFile },
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n(full log: ${logFile})`);
  });
  const seconds = (Date.now() - t0) / 1000;
  const log = (await run('cat', [logFile])).stdout;
  return { seconds, workerCached: stepCached(log, 'build-debian.sh'), sourceCached: stepCached(log, 'npm run build'), logFile };
}

/** Whether the build step whose instruction contains `marker` was taken from the cache. */
function stepCached(log: string, marker: string): boolean {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => /STEP \d+\/\d+: RUN/.test(l) && l.includes(marker));
  return at >= 0 && /^--> Using cache/.test(lines[at + 1] ?? '');
}

/** A port free for both TCP and UDP on every interface (the gateway runs with host networking). */
async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '0.0.0.0', () => sock.close(() => resolve(true)));
  });
}

/** `count` consecutive ports free for TCP and UDP, below the default RTC range (40100..49999). */
export async function freePortBlock(count: number, from = 38000, to = 39990): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const free = await Promise.all(Array.from({ length: count }, (_, k) => portFree(base + k)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} free consecutive ports in ${from}..${to}`);
}
