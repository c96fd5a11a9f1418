import type { types as ms } from 'mediasoup';
import { RouterSet } from './router-set';
import type { PooledWorker } from './worker-pool';

type CloseListener = () => void;

function fakeRouter(id: string) {
  const listeners: CloseListener[] = [];
  const router = {
    id,
    closed: false,
    observer: { once: (_e: 'close', fn: CloseListener) => void listeners.push(fn) },
    close: jest.fn(() => {
      router.closed = true;
      for (const fn of listeners.splice(0)) fn();
    }),
    pipeToRouter: jest.fn(async () => ({ pipeProducer: { observer: { once: jest.fn() } } })),
  };
  return router;
}

const worker = (pid: number): PooledWorker =>
  ({ pid, worker: {} as ms.Worker, state: 'active', load: { routers: 0, transports: 0, producers: 0, consumers: 0 } }) as PooledWorker;

describe('RouterSet', () => {
  function setup(budget: number, workersLeft: number[]) {
    const made: ReturnType<typeof fakeRouter>[] = [];
    const makeRouter = jest.fn(async (avoid: number[]) => {
      const pid = workersLeft.find((p) => !avoid.includes(p));
      if (pid === undefined) return null;
      const r = fakeRouter(`r${pid}`);
      made.push(r);
      return { host: worker(pid), router: r as unknown as ms.Router };
    });
    const onLost = jest.fn();
    const set = new RouterSet(budget, makeRouter, onLost);
    const primary = fakeRouter('primary');
    set.setPrimary(worker(1), primary as unknown as ms.Router);
    return { set, makeRouter, onLost, made, primary };
  }

  it('keeps receivers on the primary while they fit the budget', async () => {
    const { set, makeRouter } = setup(10, [2]);
    const a = await set.placeReceiver(4);
    a.reserved += 4;
    const b = await set.placeReceiver(4);
    expect(b).toBe(set.primary);
    expect(makeRouter).not.toHaveBeenCalled();
  });

  it('opens a router on another worker once the budget is used, and only one per worker', async () => {
    const { set, makeRouter } = setup(4, [2]);
    set.primary.consumers = 4;
    const spread = await set.placeReceiver(2);
    expect(spread.host.pid).toBe(2);
    expect(makeRouter).toHaveBeenCalledWith([1]);
    spread.consumers = 4;
    // Every worker already has one of the room's routers: the least loaded existing one takes it.
    const again = await set.placeReceiver(2);
    expect(makeRouter).toHaveBeenLastCalledWith([1, 2]);
    expect(set.all()).toHaveLength(2);
    expect([set.primary, spread]).toContain(again);
  });

  it('pipes a producer once per target router, never to the primary', async () => {
    const { set, primary } = setup(1, [2]);
    set.primary.consumers = 1;
    const spread = await set.placeReceiver(1);
    await Promise.all([set.ensurePiped('p1', spread), set.ensurePiped('p1', spread), set.ensurePiped('p1', set.primary)]);
    expect(primary.pipeToRouter).toHaveBeenCalledTimes(1);
  });

  it('reports an extra router closed under it, but not one it closed itself', async () => {
    const { set, onLost, made } = setup(1, [2, 3]);
    set.primary.consumers = 1;
    await set.placeReceiver(1);
    made[0].close();
    expect(onLost).toHaveBeenCalledTimes(1);
    await set.placeReceiver(1);
    set.closeExtra();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(set.all()).toHaveLength(1);
  });
});
