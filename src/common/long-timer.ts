/** setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/**
 * Runs `fn` at the wall-clock time `at` (ms since the epoch), however far ahead: a delay above
 * setTimeout's limit is waited in capped steps, each re-armed from the clock. Never keeps the
 * process alive.
 */
export function timerAt(at: number, fn: () => void): LongTimer {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = at - Date.now();
    timer = left > MAX_TIMEOUT_MS ? setTimeout(arm, MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, left));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
