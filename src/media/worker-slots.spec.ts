import { HEALTHY_WORKER_MS, MAX_RESPAWN_DELAY_MS, RespawnBackoff, WorkerSlots, respawnDelayMs } from './worker-slots';

describe('WorkerSlots', () => {
  it('hands out 0, 1, 2 … in order', () => {
    const slots = new WorkerSlots();
    expect([slots.acquire(), slots.acquire(), slots.acquire()]).toEqual([0, 1, 2]);
    expect(slots.inUse()).toEqual([0, 1, 2]);
  });

  it('gives a replacement the lowest freed slot, so it reuses the dead worker’s ports', () => {
    const slots = new WorkerSlots();
    for (let i = 0; i < 4; i++) slots.acquire();
    slots.release(2);
    slots.release(1);
    expect(slots.acquire()).toBe(1);
    expect(slots.acquire()).toBe(2);
    expect(slots.acquire()).toBe(4);
  });

  it('keeps a slot taken until it is released, and releasing twice is harmless', () => {
    const slots = new WorkerSlots();
    const a = slots.acquire();
    slots.release(a);
    slots.release(a);
    expect(slots.inUse()).toEqual([]);
    expect(slots.acquire()).toBe(0);
    expect(slots.acquire()).toBe(1);
  });
});

describe('respawnDelayMs', () => {
  it('doubles from the configured delay and stops at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => respawnDelayMs(1000, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect([0, 1, 2, 3].map((n) => respawnDelayMs(200, n))).toEqual([200, 400, 800, 1600]);
    expect(respawnDelayMs(1000, 1_000_000)).toBe(MAX_RESPAWN_DELAY_MS);
  });

  it('keeps a first pause of 0, but a crash loop never respawns at full speed', () => {
    expect([0, 1, 2, 3].map((n) => respawnDelayMs(0, n))).toEqual([0, 200, 400, 800]);
  });

  it('never exceeds the cap, even for a configured delay above it', () => {
    expect(respawnDelayMs(60_000, 0)).toBe(MAX_RESPAWN_DELAY_MS);
    expect(respawnDelayMs(500, 3, 2000)).toBe(2000);
  });
});

describe('RespawnBackoff', () => {
  it('grows with each death in a row in one slot', () => {
    const b = new RespawnBackoff(200);
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      b.started(0, now);
      now += 500; // dies half a second after it started
      delays.push(b.failed(0, now));
      now += delays[delays.length - 1];
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200]);
  });

  it('counts a replacement that fails to start as another failure, however long the retries take', () => {
    const b = new RespawnBackoff(1000);
    b.started(0, 0);
    expect(b.failed(0, 1000)).toBe(1000); // the worker died
    expect(b.failed(0, 2000)).toBe(2000); // its replacement could not start
    expect(b.failed(0, 4000 + HEALTHY_WORKER_MS)).toBe(4000); // nothing ran in between: no reset
  });

  it('starts over after a worker that stayed up for the healthy period', () => {
    const b = new RespawnBackoff(200);
    b.started(0, 0);
    b.failed(0, 10);
    b.started(0, 210);
    expect(b.failed(0, 220)).toBe(400);
    b.started(0, 620);
    expect(b.failed(0, 620 + HEALTHY_WORKER_MS - 1)).toBe(800);
    b.started(0, 100_000);
    expect(b.failed(0, 100_000 + HEALTHY_WORKER_MS)).toBe(200);
  });

  it('keeps each slot apart', () => {
    const b = new RespawnBackoff(100);
    b.started(0, 0);
    b.started(1, 0);
    expect([b.failed(0, 1), b.failed(0, 2), b.failed(0, 3)]).toEqual([100, 200, 400]);
    expect(b.failed(1, 4)).toBe(100);
  });

  it('forgets a retired slot, so a later worker there starts afresh', () => {
    const b = new RespawnBackoff(100);
    b.started(2, 0);
    b.failed(2, 1);
    b.failed(2, 2);
    b.forget(2);
    b.started(2, 3);
    expect(b.failed(2, 4)).toBe(100);
  });
});
