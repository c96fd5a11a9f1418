import { WorkerSlots } from './worker-slots';

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
