import { DurableQueue } from './durable-queue';

const quiet = { error: jest.fn(), log: jest.fn() };

describe('DurableQueue', () => {
  afterEach(() => jest.useRealTimers());

  it('keeps a failed write at the head, in order, until it commits', async () => {
    jest.useFakeTimers();
    const q = new DurableQueue('t', quiet);
    const done: string[] = [];
    let down = true;
    const first = q.enqueue('a', async () => {
      if (down) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      done.push('a');
    });
    const second = q.enqueue('b', async () => void done.push('b'));
    await first.attempted; // tried once, failed: the caller is not held up
    expect(done).toEqual([]);
    expect(q.size).toBe(2);
    await jest.advanceTimersByTimeAsync(5_000); // still down: retried with backoff, never dropped
    expect(q.size).toBe(2);
    down = false;
    await jest.advanceTimersByTimeAsync(20_000);
    await Promise.all([first.committed, second.committed]);
    expect(done).toEqual(['a', 'b']);
    expect(q.size).toBe(0);
  });

  it('drops a write the store refuses (not an outage) after a few tries, so the next ones land', async () => {
    jest.useFakeTimers();
    const q = new DurableQueue('t', quiet);
    const done: string[] = [];
    q.enqueue('bad', () => Promise.reject(Object.assign(new Error('value too long for type'), { code: '22001' })));
    const good = q.enqueue('good', async () => void done.push('good'));
    await jest.advanceTimersByTimeAsync(10_000);
    await good.committed;
    expect(done).toEqual(['good']);
    expect(q.size).toBe(0);
  });

  it('keeps retrying through an outage however long', async () => {
    jest.useFakeTimers();
    const q = new DurableQueue('t', quiet);
    q.enqueue('x', () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
    await jest.advanceTimersByTimeAsync(120_000);
    expect(q.size).toBe(1);
  });

  it('flush resolves after one failed attempt rather than waiting out an outage', async () => {
    const q = new DurableQueue('t', quiet);
    q.enqueue('x', () => Promise.reject(new Error('down')));
    await q.flush();
    expect(q.size).toBe(1);
  });
});
