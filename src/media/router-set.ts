import type { types as ms } from 'mediasoup';
import type { PooledWorker } from './worker-pool';

export interface RoomRouter {
  host: PooledWorker;
  router: ms.Router;
  /** Consumers living on this router, plus those expected on its receive transports. */
  consumers: number;
  reserved: number;
}

/** Creates a router on a worker other than the given pids; null when every live worker is one of them. */
export type RouterFactory = (avoidPids: number[]) => Promise<{ host: PooledWorker; router: ms.Router } | null>;

/**
 * The routers of one room: a primary that holds every producer, and extra routers (on other
 * workers) that take receive transports once the primary's consumer budget is used, fed with
 * pipeToRouter. A large group is therefore not bounded by one worker's core.
 */
export class RouterSet {
  private readonly extra: RoomRouter[] = [];
  private readonly pipes = new Map<string, Promise<void>>();
  primary!: RoomRouter;

  private closingExtra = false;

  constructor(
    private readonly budget: number,
    private readonly makeRouter: RouterFactory,
    /** An extra router closed under us (its worker died). */
    private readonly onLost: () => void,
  ) {}

  setPrimary(host: PooledWorker, router: ms.Router): RoomRouter {
    this.primary = { host, router, consumers: 0, reserved: 0 };
    return this.primary;
  }

  all(): RoomRouter[] {
    return [this.primary, ...this.extra];
  }

  byRouter(router: ms.Router): RoomRouter | undefined {
    return this.all().find((r) => r.router === router);
  }

  /** Where a new receive transport expecting about `expected` consumers should live. */
  async placeReceiver(expected: number): Promise<RoomRouter> {
    const load = (r: RoomRouter) => r.consumers + r.reserved;
    const best = this.all().reduce((a, b) => (load(b) < load(a) ? b : a));
    if (load(best) + expected <= this.budget || load(best) === 0) return best;
    // One router per worker is enough: a second one on the same core would gain nothing.
    const made = await this.makeRouter(this.all().map((r) => r.host.pid));
    if (!made) return best;
    const { host, router } = made;
    const added: RoomRouter = { host, router, consumers: 0, reserved: 0 };
    this.extra.push(added);
    host.load.routers++;
    router.observer.once('close', () => {
      host.load.routers--;
      const i = this.extra.indexOf(added);
      if (i >= 0) this.extra.splice(i, 1);
      if (!this.closingExtra) this.onLost();
    });
    return added;
  }

  /** Makes a producer of the primary router consumable on `target` (once per pair). */
  async ensurePiped(producerId: string, target: RoomRouter): Promise<void> {
    if (target === this.primary) return;
    const key = `${producerId}:${target.router.id}`;
    let pending = this.pipes.get(key);
    if (!pending) {
      pending = this.primary.router.pipeToRouter({ producerId, router: target.router }).then(({ pipeProducer }) => {
        pipeProducer?.observer.once('close', () => this.pipes.delete(key));
      });
      pending.catch(() => this.pipes.delete(key));
      this.pipes.set(key, pending);
    }
    await pending;
  }

  /** Closes the extra routers (the primary is the room's to close). */
  closeExtra(): void {
    this.closingExtra = true;
    for (const r of [...this.extra]) r.router.close();
    this.closingExtra = false;
    this.extra.length = 0;
    this.pipes.clear();
  }
}
