import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { CallOwnership } from '../calls/ports';

/** One gateway node as the registry holds it (rewritten every heartbeat). */
export interface NodeInfo {
  nodeId: string;
  /** The address clients' media reaches this node's workers on (ICE candidates carry it). */
  mediaAddress: string;
  workers: number;
  calls: number;
  peers: number;
  state: 'serving' | 'draining';
  startedAt: string;
  /** When it last heart-beat (ms since epoch, its own clock). */
  at: number;
}

export interface Owner {
  nodeId: string;
  epoch: number;
}

const parseOwner = (v: string | null): Owner | null => {
  if (!v) return null;
  const i = v.lastIndexOf('|');
  return { nodeId: v.slice(0, i), epoch: Number(v.slice(i + 1)) };
};

// Takes an unowned call (epoch 1); returns whoever owns it afterwards.
const CLAIM = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then v = ARGV[2] .. '|1'; redis.call('HSET', KEYS[1], ARGV[1], v) end
return v`;
// Compare-and-set: the owner is still `expected` (a lost or draining node), so the caller takes the next epoch.
const TAKE_OVER = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v ~= ARGV[2] then return false end
local epoch = tonumber(string.match(v, '|(%d+)$')) + 1
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '|' .. epoch)
return epoch`;
// Only the current owner's writes land (the fencing token is the epoch).
const MIRROR = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`;
// The data set's incarnation: written once, so a Redis that lost its data (restarted without
// persistence, flushed) shows a new one and a missing owner record can be told from an ended call.
const INCARNATION = `local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1]); v = ARGV[1] end
return v`;
const RELEASE = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

/**
 * The node registry and call ownership in Redis (LiveKit keeps nodes in one hash and lets
 * readers judge freshness; ownership here adds the epoch LiveKit lacks):
 * - `<prefix>nodes`: nodeId -> NodeInfo, rewritten every heartbeat; a node whose `at` is older
 *   than NODE_TTL_SECONDS is lost.
 * - `<prefix>call-owner`: callId -> `nodeId|epoch`, changed only by Lua compare-and-set.
 * - `<prefix>call-state`: callId -> the owner's mirror of the call (for a takeover or a move),
 *   written only while the writer holds the current epoch.
 * - `<prefix>incarnation`: an id written once per data set; it changes only if Redis lost its data.
 * This process remembers the epoch of each call it holds; it acts on a call only while its own
 * heartbeat is fresh (its lease), so a node that was frozen or cut off stops acting before any
 * other node may take its calls.
 */
export class ClusterStore implements CallOwnership {
  private readonly logger = new Logger('Cluster');
  private readonly epochs = new Map<string, number>();
  /** Calls this node is handing to another node, until the hand-over's outcome is known. */
  private readonly leaving = new Map<string, Promise<unknown>>();
  private leaseUntil = 0;
  /** The last heartbeat failed against Redis (rather than not being attempted). */
  private unreachable = false;
  private known: NodeInfo[] = [];
  /** When the read behind `known` was sent: the registry it returned is at least that fresh. */
  private readAt = 0;
  private readonly owners: string;
  private readonly states: string;
  private readonly nodesKey: string;
  private readonly mirrors = new Map<string, unknown>();
  private mirrorScheduled = false;
  private readonly incarnationKey: string;
  /** The incarnation seen at the last heartbeat, and whether the latest heartbeat saw a new one. */
  private incarnation: string | null = null;
  private wiped = false;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly nodeId: string,
    private readonly ttlMs: number,
  ) {
    this.owners = `${prefix}call-owner`;
    this.states = `${prefix}call-state`;
    this.nodesKey = `${prefix}nodes`;
    this.incarnationKey = `${prefix}incarnation`;
  }

  // ------------------------------------------------------------------ nodes

  /** Writes this node's entry and reads everyone's; the lease runs from when the write was sent. */
  async heartbeat(info: Omit<NodeInfo, 'nodeId' | 'at'>): Promise<NodeInfo[]> {
    const at = Date.now();
    const entry: NodeInfo = { ...info, nodeId: this.nodeId, at };
    let all: Record<string, string>;
    let incarnation: string;
    try {
      [, all, incarnation] = await Promise.all([
        this.redis.hset(this.nodesKey, this.nodeId, JSON.stringify(entry)),
        this.redis.hgetall(this.nodesKey),
        this.redis.eval(INCARNATION, 1, this.incarnationKey, randomUUID()) as Promise<string>,
      ]);
    } catch (err) {
      this.unreachable = true;
      throw err;
    }
    this.unreachable = false;
    this.readAt = at;
    this.wiped = this.incarnation !== null && incarnation !== this.incarnation;
    this.incarnation = incarnation;
    this.leaseUntil = at + this.ttlMs;
    this.known = Object.values(all).flatMap((v) => parseEntry(v) ?? []);
    return this.known;
  }

  /** Every node as last read, with whether it is alive. */
  nodes(): (NodeInfo & { alive: boolean })[] {
    const now = Date.now();
    return this.known.map((n) => ({ ...n, alive: n.nodeId === this.nodeId ? now < this.leaseUntil : now - n.at < this.ttlMs }));
  }

  /**
   * Nodes whose heartbeat had lapsed already when the last registry read was sent. Judged from
   * the send time, not from now: a node that was frozen (or stalled) with a reply in its socket
   * buffer reads an old registry when it resumes, and must not take every other node for lost.
   */
  lostNodes(): string[] {
    return this.known.filter((n) => n.nodeId !== this.nodeId && this.readAt - n.at >= this.ttlMs).map((n) => n.nodeId);
  }

  alive(nodeId: string): boolean {
    return this.nodes().some((n) => n.nodeId === nodeId && n.alive);
  }

  /**
   * Like alive(), but a node that does not look alive in the last read is read again: it may
   * have joined (or heart-beaten) since, and a request for its call must not be refused for that.
   */
  async isAlive(nodeId: string): Promise<boolean> {
    if (this.alive(nodeId)) return true;
    if (nodeId === this.nodeId) return false;
    const raw = await this.redis.hget(this.nodesKey, nodeId);
    if (!raw) return false;
    const entry = parseEntry(raw);
    if (!entry) return false;
    this.known = [...this.known.filter((n) => n.nodeId !== nodeId), entry];
    return Date.now() - entry.at < this.ttlMs;
  }

  /** A lost node whose calls were all taken: its entry goes (only if it is still stale). */
  async forgetNode(nodeId: string): Promise<void> {
    const raw = await this.redis.hget(this.nodesKey, nodeId);
    if (raw && Date.now() - (JSON.parse(raw) as NodeInfo).at >= this.ttlMs) await this.redis.hdel(this.nodesKey, nodeId);
  }

  /** Stopping on purpose: the others need not wait for the entry to go stale. */
  async retire(): Promise<void> {
    this.leaseUntil = 0;
    await this.redis.hdel(this.nodesKey, this.nodeId);
  }

  /** Redis is reachable again: the caller heart-beats at once, so calls taken meanwhile are dropped without delay. */
  whenReconnected(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  leaseFresh(): boolean {
    return Date.now() < this.leaseUntil;
  }

  // ------------------------------------------------------------------ ownership (CallOwnership)

  async claim(callId: string): Promise<string | null> {
    const owner = parseOwner((await this.redis.eval(CLAIM, 1, this.owners, callId, this.nodeId)) as string)!;
    if (owner.nodeId !== this.nodeId) return owner.nodeId;
    this.epochs.set(callId, owner.epoch);
    return null;
  }

  /**
   * A lapsed lease fences this node only when it did not even try to renew it (it was frozen,
   * or its event loop stalled): then another node may hold the call now, and the next heartbeat
   * says. While Redis cannot be reached, nobody can take a call over through it, so the node goes
   * on with its calls (the outage contract: live calls continue); the epoch check on the first
   * heartbeat that gets through drops whatever was taken meanwhile.
   */
  holds(callId: string): boolean {
    return this.epochs.has(callId) && (this.leaseFresh() || this.unreachable);
  }

  release(callId: string): void {
    const epoch = this.epochs.get(callId);
    if (epoch === undefined) return;
    this.epochs.delete(callId);
    this.mirrors.delete(callId);
    this.redis.eval(RELEASE, 2, this.owners, this.states, callId, `${this.nodeId}|${epoch}`).catch((err: Error) => this.logger.warn({ callId, err: err.message }, 'owner record not released'));
  }

  /** Coalesced: the newest state of each call is written once per tick. */
  mirror(callId: string, snapshot: unknown): void {
    if (!this.epochs.has(callId)) return;
    this.mirrors.set(callId, snapshot);
    if (this.mirrorScheduled) return;
    this.mirrorScheduled = true;
    setImmediate(() => void this.writeMirrors());
  }

  /** Resolves once every mirror queued so far is written (a move reads it next). */
  async flushMirrors(): Promise<void> {
    await this.writeMirrors();
  }

  private async writeMirrors(): Promise<void> {
    this.mirrorScheduled = false;
    const batch = [...this.mirrors];
    this.mirrors.clear();
    await Promise.all(
      batch.map(([callId, snapshot]) => {
        const epoch = this.epochs.get(callId);
        if (epoch === undefined) return undefined;
        return this.redis
          .eval(MIRROR, 2, this.owners, this.states, callId, `${this.nodeId}|${epoch}`, JSON.stringify(snapshot))
          .catch((err: Error) => this.logger.warn({ callId, err: err.message }, 'call mirror not written'));
      }),
    );
  }

  async ownerOf(callId: string): Promise<Owner | null> {
    return parseOwner(await this.redis.hget(this.owners, callId));
  }

  /** Takes the call from `from` (lost or draining) at the next epoch; false when someone else changed it first. */
  async takeOver(callId: string, from: Owner): Promise<boolean> {
    const epoch = (await this.redis.eval(TAKE_OVER, 1, this.owners, callId, `${from.nodeId}|${from.epoch}`, this.nodeId)) as number | null;
    if (!epoch) return false;
    this.epochs.set(callId, epoch);
    return true;
  }

  async snapshot(callId: string): Promise<unknown> {
    const raw = await this.redis.hget(this.states, callId);
    return raw ? JSON.parse(raw) : null;
  }

  /** Calls a node owns, by the record. */
  async callsOf(nodeId: string): Promise<{ callId: string; owner: Owner }[]> {
    const all = await this.redis.hgetall(this.owners);
    return Object.entries(all)
      .map(([callId, v]) => ({ callId, owner: parseOwner(v)! }))
      .filter((c) => c.owner.nodeId === nodeId);
  }

  /**
   * The calls this process holds whose record now names another node or epoch, or is gone:
   * they were taken (and maybe ended by their new owner). Only when the last heartbeat found
   * Redis without its data (a new incarnation) is a missing record this node's to write again;
   * those are reported in `restored` so their mirrors are written again too.
   */
  async lostCalls(): Promise<{ lost: string[]; restored: string[] }> {
    const ids = [...this.epochs.keys()];
    if (!ids.length) return { lost: [], restored: [] };
    const values = await this.redis.hmget(this.owners, ...ids);
    const lost: string[] = [];
    const restored: string[] = [];
    for (const [i, id] of ids.entries()) {
      const mine = `${this.nodeId}|${this.epochs.get(id)}`;
      if (values[i] === mine) continue;
      if (values[i] === null && this.wiped && (await this.redis.hsetnx(this.owners, id, mine))) restored.push(id);
      else {
        lost.push(id);
        this.epochs.delete(id);
      }
    }
    return { lost, restored };
  }

  /**
   * Hands the call to another node (`handOver`): until that settles, `moving(callId)` tells
   * request handlers to wait, so no request is served on the media this node is about to drop
   * while the new owner already rebuilds it (and the mirror the new owner read stays the truth).
   */
  async moveOut<T>(callId: string, handOver: () => Promise<T>): Promise<T> {
    const outcome = handOver();
    this.leaving.set(callId, outcome.catch(() => undefined));
    try {
      return await outcome;
    } finally {
      this.leaving.delete(callId);
    }
  }

  /** Settles once the hand-over of the call under way on this node (if any) is done. */
  moving(callId: string): Promise<unknown> | undefined {
    return this.leaving.get(callId);
  }

  /** This process gave the call up (moved or taken): it stops acting on it, the record is not touched. */
  disown(callId: string): void {
    this.epochs.delete(callId);
    this.mirrors.delete(callId);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

function parseEntry(raw: string): NodeInfo | null {
  try {
    return JSON.parse(raw) as NodeInfo;
  } catch {
    return null;
  }
}
