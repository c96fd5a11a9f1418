#!/usr/bin/env node
// Makes sure node_modules/mediasoup has a working mediasoup-worker binary after install.
//
// mediasoup's own postinstall is not run by npm here (allowScripts: false) because on a
// locked-down network it fails and takes the whole install with it. This script runs it
// itself where it can work, and otherwise builds the worker from the pinned mediasoup npm
// tarball against Debian's system libraries (scripts/worker/build-debian.sh), caching the
// binary outside the repo keyed by mediasoup version and the hash of the patch and build script.
//
// MEDIASOUP_WORKER_BIN=/path        use that binary; nothing is built or fetched
// MEDIASOUP_WORKER_SOURCE=auto      (default) cache, then mediasoup's prebuilt download, then
//                                   the Debian build (Debian 12) or mediasoup's own build (elsewhere)
// MEDIASOUP_WORKER_SOURCE=debian    cache, then the Debian build only (nothing fetched but npm/apt)
// MEDIASOUP_WORKER_SOURCE=upstream  mediasoup's own postinstall only (prebuilt, then pip/meson build)
// MEDIASOUP_WORKER_CACHE=/dir       cache root (default: $XDG_CACHE_HOME or ~/.cache, /hearth-sfu)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MS_DIR = path.join(ROOT, 'node_modules', 'mediasoup');
const DEFAULT_BIN = path.join(MS_DIR, 'worker', 'out', 'Release', 'mediasoup-worker');
// What the installed binary is: `debian:<cache key>`, `prebuilt` or `upstream`. A Debian build
// of another key (an older patch or build script) is replaced, not kept as "already present".
const MARKER = `${DEFAULT_BIN}.source`;
const log = (msg) => console.log(`[install-worker] ${msg}`);

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function place(bin, source) {
  mkdirSync(path.dirname(DEFAULT_BIN), { recursive: true });
  const tmp = `${DEFAULT_BIN}.tmp.${process.pid}`;
  copyFileSync(bin, tmp);
  renameSync(tmp, DEFAULT_BIN);
  mark(source);
  log(`installed ${bin} -> ${path.relative(ROOT, DEFAULT_BIN)}`);
}

function mark(source) {
  writeFileSync(MARKER, `${source}\n`);
}

function installedSource() {
  try {
    return readFileSync(MARKER, 'utf8').trim();
  } catch {
    return null;
  }
}

/** mediasoup's published prebuilt worker, named and located exactly as its own postinstall does. */
async function tryPrebuilt(pkg) {
  const kernel = os.platform() === 'linux' ? `-kernel${Number(os.release().split('.')[0])}` : '';
  const tarName = `mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}${kernel}.tgz`;
  const base =
    process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ||
    `${pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
  const url = `${base}/${pkg.version}/${tarName}`;
  log(`trying the prebuilt worker ${tarName}`);
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    log(`prebuilt download not possible here (${err.cause?.code ?? err.name})`);
    return false;
  }
  if (!res.ok) {
    log(`no prebuilt worker (${res.status})`);
    return false;
  }
  const dir = path.dirname(DEFAULT_BIN);
  mkdirSync(dir, { recursive: true });
  const tgz = path.join(os.tmpdir(), `${tarName}.${process.pid}`);
  writeFileSync(tgz, Buffer.from(await res.arrayBuffer()));
  const r = spawnSync('tar', ['xzf', tgz, '-C', dir], { stdio: 'inherit' });
  rmSync(tgz, { force: true });
  return r.status === 0 && executable(DEFAULT_BIN);
}

function isDebian12() {
  try {
    return readFileSync('/etc/debian_version', 'utf8').trim().startsWith('12');
  } catch {
    return false;
  }
}

async function main() {
  if (!existsSync(path.join(MS_DIR, 'package.json'))) {
    log('mediasoup is not installed; nothing to do');
    return 0;
  }
  const pkg = JSON.parse(readFileSync(path.join(MS_DIR, 'package.json'), 'utf8'));
  const version = pkg.version;

  if (process.env.MEDIASOUP_WORKER_BIN) {
    if (executable(process.env.MEDIASOUP_WORKER_BIN)) {
      log(`using MEDIASOUP_WORKER_BIN=${process.env.MEDIASOUP_WORKER_BIN}`);
      return 0;
    }
    console.error(`[install-worker] MEDIASOUP_WORKER_BIN=${process.env.MEDIASOUP_WORKER_BIN} is not an executable file`);
    return 1;
  }
  const source = process.env.MEDIASOUP_WORKER_SOURCE || 'auto';
  if (!['auto', 'debian', 'upstream'].includes(source)) {
    console.error(`[install-worker] MEDIASOUP_WORKER_SOURCE must be auto, debian or upstream (got ${source})`);
    return 1;
  }
  const patch = path.join(ROOT, 'scripts', 'worker', `mediasoup-${version}-debian12.patch`);
  const cacheRoot =
    process.env.MEDIASOUP_WORKER_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hearth-sfu');
  // The patch and the build script both decide what is built (the script pins libsrtp and its crypto).
  const buildScript = path.join(ROOT, 'scripts', 'worker', 'build-debian.sh');
  const key = existsSync(patch)
    ? `${version}-${createHash('sha256').update(readFileSync(patch)).update(readFileSync(buildScript)).digest('hex').slice(0, 12)}`
    : undefined;
  const cached = key && path.join(cacheRoot, 'mediasoup-worker', key, 'mediasoup-worker');

  if (executable(DEFAULT_BIN)) {
    const installed = installedSource();
    // Kept, unless it is a Debian build this checkout builds differently (a new patch or build
    // script), or an unrecorded one from before builds were recorded.
    const stale = key && source !== 'upstream' && isDebian12() && installed !== `debian:${key}` && (installed === null || installed.startsWith('debian:'));
    if (!stale) {
      log(`mediasoup-worker ${version} already present`);
      return 0;
    }
    log(`replacing mediasoup-worker ${version} (${installed ?? 'no record of how it was built'}): this checkout's Debian build is ${key}`);
  }

  if (source !== 'upstream' && cached && executable(cached)) {
    log(`using cached Debian build ${cached}`);
    place(cached, `debian:${key}`);
    return 0;
  }

  const upstream = () => {
    log("running mediasoup's own worker install (prebuilt download, then pip/meson build)");
    const r = spawnSync(process.execPath, ['npm-scripts.mjs', 'postinstall'], { cwd: MS_DIR, stdio: 'inherit' });
    if (r.status !== 0 || !executable(DEFAULT_BIN)) return 1;
    mark('upstream');
    return 0;
  };
  if (source === 'upstream') return upstream();
  if (source === 'auto' && (await tryPrebuilt(pkg))) {
    mark('prebuilt');
    log('installed the prebuilt worker');
    return 0;
  }
  if (source === 'auto' && (!key || !isDebian12())) return upstream();

  if (!key || !isDebian12()) {
    console.error(
      `[install-worker] no way to get mediasoup-worker ${version} here: the air-gapped build needs Debian 12 ` +
        `and scripts/worker/mediasoup-${version}-debian12.patch. Set MEDIASOUP_WORKER_BIN to a built worker.`,
    );
    return 1;
  }
  const t0 = Date.now();
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'worker', 'build-debian.sh'), version, cached], {
    stdio: 'inherit',
  });
  if (r.status !== 0 || !executable(cached)) {
    console.error('[install-worker] the Debian build of mediasoup-worker failed (see above)');
    return 1;
  }
  log(`built in ${Math.round((Date.now() - t0) / 1000)} s, cached at ${cached}`);
  place(cached, `debian:${key}`);
  return 0;
}

process.exitCode = await main();
