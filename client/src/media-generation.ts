import { errorCode } from './signaling';

/** While the server moves a call to another worker, media requests answer INVALID_STATE: retry this long. */
const MOVING_RETRY_MS = 5_000;
const MOVING_RETRY_STEP_MS = 150;

/** Thrown inside an attempt that a newer media reconnect (or close) replaced; never reported. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer media connection');
    this.name = 'Superseded';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Which build of one call's media is current, shared by the parts of a MediaConnection. Each
 * build (the first, then one per media reconnect) is a numbered generation; an attempt that a
 * newer generation (or close) replaced is stale and stops at its next step.
 */
export class MediaGeneration {
  private gen = 0;
  private ended = false;

  get current(): number {
    return this.gen;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Starts a new generation (a media reconnect): every older attempt is stale from now on. */
  next(): number {
    return ++this.gen;
  }

  /** The connection closed: every attempt is stale. */
  close(): void {
    this.ended = true;
  }

  isStale(gen: number): boolean {
    return this.ended || gen !== this.gen;
  }

  assertCurrent(gen: number): void {
    if (this.isStale(gen)) throw new Superseded();
  }

  /**
   * A request that the server may refuse with INVALID_STATE while it moves the call to another
   * worker: retried briefly, until it succeeds, fails otherwise, or a newer generation begins.
   */
  async retryWhileMoving<T>(gen: number, send: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + MOVING_RETRY_MS;
    for (;;) {
      try {
        return await send();
      } catch (err) {
        if (this.isStale(gen)) throw new Superseded();
        if (errorCode(err) !== 'INVALID_STATE' || Date.now() > deadline) throw err;
      }
      await sleep(MOVING_RETRY_STEP_MS);
      this.assertCurrent(gen);
    }
  }
}
