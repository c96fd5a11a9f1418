/**
 * The soak: thousands of call cycles driven straight through the call domain of a running
 * gateway (real PostgreSQL, Redis and mediasoup workers; devices stand in by their socket ids),
 * each ending by a random path, then what the gateway holds is counted against what it held
 * before. Shared by `npm run bench:soak` (10,000 cycles, printed) and the medium test (a few
 * hundred, asserted equal).
 */
import { createHook } from 'node:async_hooks';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { BusyLocks } from '../../src/calls/busy-locks';
import { CallLogWriter } from '../../src/calls/call-log-writer';
import { CallMediaService } from '../../src/calls/call-media.service';
import { CallRegistry } from '../../src/calls/call-registry';
import { CallService } from '../../src/calls/call.service';
import type { Actor, Identity } from '../../src/calls/ports';
import { SessionCalls } from '../../src/calls/session-calls';
import { APP_CONFIG, type AppConfig } from '../../src/config/app-config';
import { MediaService } from '../../src/media/media.service';
import { PresenceService } from '../../src/presence/presence.service';
import { QualityService } from '../../src/quality/quality.service';
import { clientRtpCapabilities, opusRtpParameters } from '../e2e/signaling/media-payloads';

/** Every way out of a call the soak takes, by weight. */
export const END_PATHS = {
  cancel: 2,
  decline: 2,
  ringTimeout: 1,
  callerEnds: 4,
  calleeEnds: 3,
  bothEnd: 2,
  leave: 2,
  forceEnd: 1,
  dropPastGrace: 1,
  dropAndRejoin: 2,
} as const;
export type EndPath = keyof typeof END_PATHS;

/** What the gateway holds: everything that must return to its baseline once the calls are over. */
export interface Footprint {
  redisKeys: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  mediaRooms: number;
  openCallRows: number;
  liveCalls: number;
  /** Per-call entries in the gateway's own maps (registry, log writer, media, pending opens, quality, cluster). */
  perCallEntries: Record<string, number>;
  /** Timers the gateway's own code (src/) set since the census began that are still pending. */
  timers: number;
  heapUsedMb: number;
  /** Memory outside the JS heap that JS objects hold (Buffers and the like). */
  externalMb: number;
  rssMb: number;
}

const SRC = `${path.resolve(__dirname, '..', '..', 'src')}${path.sep}`;
/** The gateway's own modules (a library's source map may resolve to a src/ path too). */
const OWN = readdirSync(SRC, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `${SRC}${d.name}${path.sep}`);

/**
 * Pending timers set by the gateway's own code: every Timeout created while the census runs is
 * recorded with where it was set (its stack names a file under src/, or not) until it fires or
 * is cleared. Library timers (the database pool's idle timers, socket pings) come and go with
 * load and are left out; a call's forgotten ring or grace timer is not.
 */
export class TimerCensus {
  private readonly pending = new Map<number, string>();
  private readonly hook = createHook({
    init: (id, type) => {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      // The code that called setTimeout: the first frame past node's own and this hook's.
      const caller = stack
        .split('\n')
        .slice(1)
        .find((l) => !l.includes('(node:') && !l.includes(' node:') && !l.includes(__filename));
      const frame = caller && OWN.some((dir) => caller.includes(dir)) && !caller.includes('node_modules') ? caller : undefined;
      if (frame) this.pending.set(id, frame.trim().replace(SRC, 'src/'));
    },
    destroy: (id) => void this.pending.delete(id),
  });

  start(): this {
    this.hook.enable();
    return this;
  }

  stop(): void {
    this.hook.disable();
  }

  get count(): number {
    return this.pending.size;
  }

  /** Where the pending ones were set, with how many each. */
  places(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const frame of this.pending.values()) out[frame] = (out[frame] ?? 0) + 1;
    return out;
  }
}

/** The size of a private Map or Set, read for the count; a renamed field fails loudly instead of counting 0. */
function sizeOf(owner: object, field: string): number {
  const v = (owner as Record<string, unknown>)[field];
  if (!(v instanceof Map) && !(v instanceof Set)) throw new Error(`${owner.constructor.name}.${field} is not a Map or Set any more: update the soak's footprint`);
  return v.size;
}

export class Soak {
  private readonly calls: CallService;
  private readonly media: CallMediaService;
  private readonly registry: CallRegistry;
  private readonly config: AppConfig;
  private readonly callIds = new Set<string>();
  private socketSeq = 0;
  readonly paths = new Map<EndPath, number>();
  readonly refusals = new Map<string, number>();

  private readonly timers = new TimerCensus();

  constructor(
    private readonly app: INestApplication,
    private readonly db: Client,
    private readonly redis: Redis | null,
  ) {
    this.calls = app.get(CallService);
    this.media = app.get(CallMediaService);
    this.registry = app.get(CallRegistry);
    this.config = app.get(APP_CONFIG);
  }

  async footprint(): Promise<Footprint> {
    const media = this.app.get(MediaService);
    const objects = await media.liveObjects();
    const ids = [...this.callIds];
    const open = ids.length ? Number((await this.db.query(`SELECT count(*)::int AS n FROM call_sessions WHERE id = ANY($1::uuid[]) AND status <> 'ended'`, [ids])).rows[0].n) : 0;
    let redisKeys = 0;
    if (this.redis) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.config.REDIS_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        redisKeys += keys.length;
      } while (cursor !== '0');
    }
    const writer = this.app.get(CallLogWriter);
    const perCallEntries: Record<string, number> = {
      'registry.calls': sizeOf(this.registry, 'calls'),
      'registry.userCall': sizeOf(this.registry, 'userCall'),
      'writer.owed': sizeOf(writer, 'owed'),
      'writer.running': sizeOf(writer, 'running'),
      'calls.initiating': sizeOf(this.calls, 'initiating'),
      'sessions.opening': sizeOf(this.app.get(SessionCalls), 'opening'),
      'media.rooms': sizeOf(media, 'rooms'),
      'media.opening': sizeOf(media, 'opening'),
      'media.homeless': sizeOf(media, 'homeless'),
      'media.rehomeDeadlines': sizeOf(media, 'rehomeDeadlines'),
      'quality.lastReport': sizeOf(this.app.get(QualityService), 'lastReport'),
      'presence.announcing': sizeOf(this.app.get(PresenceService), 'announcing'),
      'busyLocks.ops': sizeOf(this.app.get(BusyLocks), 'ops'),
    };
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const mem = process.memoryUsage();
    return {
      redisKeys,
      ...objects,
      mediaRooms: media.roomIds().length,
      openCallRows: open,
      liveCalls: this.registry.liveCalls().length,
      perCallEntries,
      timers: this.timers.count,
      heapUsedMb: mem.heapUsed / 2 ** 20,
      externalMb: mem.external / 2 ** 20,
      rssMb: mem.rss / 2 ** 20,
    };
  }

  /** Registers `n` pairs of users as online devices; returns them. */
  async users(n: number, tag: string): Promise<Actor[]> {
    const presence = this.app.get(PresenceService);
    const out: Actor[] = [];
    for (let i = 0; i < n; i++) {
      const a: Actor = { userId: `soak-${tag}-${i}`, name: `Soak ${i}`, role: 'member', socketId: this.socketId() };
      await presence.deviceConnected(a, a.socketId);
      out.push(a);
    }
    return out;
  }

  /** From now on, timers set by the gateway's code are counted until they fire or are cleared. */
  countTimers(): void {
    this.timers.start();
  }

  close(): void {
    this.timers.stop();
  }

  /** Where the gateway's pending timers were set (to explain a count that did not come back). */
  timerPlaces(): Record<string, number> {
    return this.timers.places();
  }

  /** `cycles` call cycles over `lanes` pairs of users at once; each cycle ends by a random path. */
  async run(pairs: [Actor, Actor][], cycles: number, seed: number): Promise<void> {
    const rand = prng(seed);
    const weights = Object.entries(END_PATHS) as [EndPath, number][];
    const total = weights.reduce((n, [, w]) => n + w, 0);
    const pick = (): EndPath => {
      let r = rand() * total;
      for (const [path, w] of weights) if ((r -= w) < 0) return path;
      return 'callerEnds';
    };
    let started = 0;
    await Promise.all(
      pairs.map(async (pair) => {
        while (started < cycles) {
          started++;
          const path = pick();
          this.paths.set(path, (this.paths.get(path) ?? 0) + 1);
          await this.cycle(pair, path).catch((err: Error & { code?: string }) => {
            const key = `${path}: ${err.code ?? err.message}`;
            this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
          });
        }
      }),
    );
    await this.settle();
  }

  /** Waits until no call is live (ring timeouts and graces run out) and every write landed. */
  async settle(): Promise<void> {
    for (let i = 0; i < 200 && this.registry.liveCalls().length > 0; i++) await sleep(50);
    await Promise.all([this.app.get(CallLogWriter).flush(), this.app.get(BusyLocks).flush()]);
    await sleep(100);
  }

  private async cycle([caller, callee]: [Actor, Actor], path: EndPath): Promise<void> {
    const { callId } = await this.calls.initiate(caller, { calleeIds: [callee.userId], media: 'audio' });
    this.callIds.add(callId);
    if (path === 'cancel') return this.calls.cancel(caller, callId);
    if (path === 'decline') return this.calls.decline(callee, callId);
    if (path === 'ringTimeout') return this.untilGone(callId);
    await this.calls.join(caller, callId);
    await this.calls.join(callee, callId);
    await this.withMedia(caller, callee, callId);
    const admin: Identity = { userId: 'soak-admin', name: 'Admin', role: 'admin' };
    switch (path) {
      case 'callerEnds':
        return this.calls.end(caller, callId);
      case 'calleeEnds':
        return this.calls.end(callee, callId);
      case 'bothEnd':
        this.calls.end(caller, callId);
        // The second end finds the call over (the domain is synchronous): NOT_FOUND is its answer.
        return expectCode('NOT_FOUND', () => this.calls.end(callee, callId));
      case 'leave':
        return this.calls.leave(callee, callId);
      case 'forceEnd':
        return this.calls.forceEnd(admin, callId);
      case 'dropPastGrace':
        this.calls.onDisconnect(callee.userId, callee.socketId);
        return this.untilGone(callId);
      case 'dropAndRejoin': {
        this.calls.onDisconnect(callee.userId, callee.socketId);
        callee.socketId = this.socketId(); // the device comes back on a new socket
        await this.app.get(PresenceService).deviceConnected(callee, callee.socketId);
        await this.calls.join(callee, callId);
        return this.calls.end(caller, callId);
      }
    }
  }

  /** Both send audio, each receives the other's. */
  private async withMedia(caller: Actor, callee: Actor, callId: string): Promise<void> {
    const producers: string[] = [];
    const recv = new Map<Actor, string>();
    for (const [i, who] of [caller, callee].entries()) {
      const send = await this.media.createTransport(who, callId, 'send');
      recv.set(who, (await this.media.createTransport(who, callId, 'recv')).transportId);
      producers.push((await this.media.produce(who, { transportId: send.transportId, kind: 'audio', rtpParameters: opusRtpParameters(1000 + i) as never, source: 'mic' })).producerId);
    }
    for (const [i, who] of [callee, caller].entries()) {
      const c = await this.media.consume(who, { transportId: recv.get(who)!, producerId: producers[i], rtpCapabilities: clientRtpCapabilities as never });
      await this.media.resumeConsumer(who, c.consumerId);
    }
  }

  private async untilGone(callId: string): Promise<void> {
    while (this.registry.has(callId)) await sleep(50);
  }

  private socketId(): string {
    return `soak-socket-${process.pid}-${++this.socketSeq}`;
  }
}

function expectCode(code: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if ((err as { code?: string }).code === code) return;
    throw err;
  }
  throw new Error(`expected ${code}`);
}

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connections to count with (closed by the caller). */
export async function soakClients(databaseUrl: string, redisUrl: string | undefined): Promise<{ db: Client; redis: Redis | null }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  return { db, redis: redisUrl ? new Redis(redisUrl) : null };
}
