import { accessSync, constants } from 'node:fs';
import { workerBin as mediasoupDefaultBin } from 'mediasoup';

/**
 * The worker binary to spawn: the configured one, else mediasoup's default path (where the
 * install step puts it). Fails at boot with a clear message, not a spawn ENOENT on the first call.
 */
export function resolveWorkerBin(configured?: string): string {
  const bin = configured ?? mediasoupDefaultBin;
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `mediasoup-worker not found or not executable at ${bin}. ` +
        'Run `npm run install-worker` (builds or fetches it) or set MEDIASOUP_WORKER_BIN.',
    );
  }
  return bin;
}
