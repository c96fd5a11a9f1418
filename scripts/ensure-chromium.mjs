#!/usr/bin/env node
// The e2e tier drives a real Chromium (Debian's `chromium` package, through playwright-core).
// Finds it (CHROMIUM_PATH, then PATH); on Debian as root, installs it with apt if missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const log = (m) => console.log(`[ensure-chromium] ${m}`);

function find() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return undefined;
}

let bin = find();
if (!bin) {
  const canApt = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!canApt) {
    console.error('[ensure-chromium] Chromium not found. Install Debian package `chromium` or set CHROMIUM_PATH.');
    process.exit(1);
  }
  log('installing Debian package chromium (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  bin = find();
  if (!bin) {
    console.error('[ensure-chromium] apt-get finished but no chromium binary was found');
    process.exit(1);
  }
}
log(`using ${bin}`);
