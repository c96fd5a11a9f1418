/** Launching Debian's Chromium for the browser tests, and the waits they share. */
import { chromium, type Browser } from 'playwright-core';

/** Flags for a headless Chromium with fake camera/microphone that auto-grants them. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Remote audio elements play without a click, as they would after the user's answer click.
  '--autoplay-policy=no-user-gesture-required',
];

/** `extraArgs` e.g. map a hostname to loopback (`--host-resolver-rules`) or trust one certificate. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Generous: a loaded 2-core CI machine runs three Chromium pages and the SFU at once. */
export const WAIT_MS = 45_000;

/** A unique user id per test, so one failed test cannot leave another's users busy. */
export function uniqueUser(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Waits for `check` to hold, polling; throws with the last value seen. Never a timing assertion. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeout = WAIT_MS, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}
