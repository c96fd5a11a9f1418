import { MAX_TIMEOUT_MS, timerAt } from './long-timer';

describe('timerAt', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits a delay beyond setTimeout\'s limit instead of firing at once', () => {
    const fn = jest.fn();
    const at = Date.now() + 30 * 86_400_000; // 30 days: above 2^31 ms
    timerAt(at, fn);
    jest.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(at - Date.now() - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires at once for a time already past, and never after clear()', () => {
    const past = jest.fn();
    timerAt(Date.now() - 5000, past);
    jest.advanceTimersByTime(0);
    expect(past).toHaveBeenCalledTimes(1);
    const cleared = jest.fn();
    const t = timerAt(Date.now() + 40 * 86_400_000, cleared);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 10);
    t.clear();
    jest.advanceTimersByTime(40 * 86_400_000);
    expect(cleared).not.toHaveBeenCalled();
  });
});
