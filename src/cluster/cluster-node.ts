import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { CallHandoff } from '../calls/call-handoff';
import { CallRegistry } from '../calls/call-registry';
import type { CallSnapshot } from '../calls/call-snapshot';
import { snapshotOf } from '../calls/call-snapshot';
import { CallService } from '../calls/call.service';
import { DomainError, notFound } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ClusterStore, NodeInfo, Owner } from './cluster-store';
import { CLUSTER_STORE, NODE_RELAY } from './cluster-store.module';
import type { NodeRelay } from './node-relay';
import { Placement } from './placement';

export interface DrainReport {
  nodeId: string;
  state: 'serving' | 'draining';
  moved: number;
  /** Calls still here (no other node could take them). */
  remaining: number;
}

/**
 * This gateway as one node of many: it heart-beats into the registry, drops calls another
 * node took from it (epoch check), takes over the calls of a node whose heartbeat lapsed, and
 * drains (moves its calls to other nodes) on request or before it stops.
 */
@Injectable()
export class ClusterNode implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Cluster');
  private timer?: NodeJS.Timeout;
  private state: 'serving' | 'draining' = 'serving';
  private readonly startedAt = new Date().toISOString();
  private beating?: Promise<void>;
  private draining?: Promise<DrainReport>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: CallRegistry,
    private readonly handoff: CallHandoff,
    private readonly calls: CallService,
    private readonly placement: Placement,
    @Optional() @Inject(CLUSTER_STORE) private readonly store: ClusterStore | null,
    @Optional() @Inject(NODE_RELAY) private readonly relay: NodeRelay | null,
  ) {}

  get nodeId(): string {
    return this.config.instanceId;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.store || !this.relay) return;
    this.relay.handle('adopt', (body) => this.adopt(body as { callId: string; from: Owner }));
    this.relay.handle('drain', () => this.drain());
    this.calls.beforeStop(() => this.drainBeforeStop());
    this.store.whenReconnected(() => void this.beat());
    await this.beat().catch((err: Error) => this.logger.warn({ err: err.message }, 'first heartbeat failed'));
    this.timer = setInterval(() => void this.beat(), this.config.NODE_HEARTBEAT_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.store?.retire().catch(() => undefined);
  }

  /** Every node as the registry holds it, with this node's figures fresh. */
  nodes(): (NodeInfo & { alive: boolean; self: boolean })[] {
    if (!this.store) return [{ ...this.info(), nodeId: this.nodeId, at: Date.now(), alive: true, self: true }];
    return this.store.nodes().map((n) => (n.nodeId === this.nodeId ? { ...n, ...this.info(), self: true } : { ...n, self: false }));
  }

  private info(): Omit<NodeInfo, 'nodeId' | 'at'> {
    return {
      mediaAddress: this.config.MEDIASOUP_ANNOUNCED_ADDRESS ?? this.config.MEDIASOUP_LISTEN_IP,
      ...this.placement.ownLoad(),
      state: this.state,
      startedAt: this.startedAt,
    };
  }

  /** One heartbeat; never two at once. */
  beat(): Promise<void> {
    this.beating ??= this.beatNow()
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'cluster heartbeat failed'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private readonly handled = new Set<string>();

  private async beatNow(): Promise<void> {
    const store = this.store!;
    await store.heartbeat(this.info());
    // Calls another node took from this one while it could not heart-beat: never act on them again.
    const { lost, restored } = await store.lostCalls();
    for (const callId of lost) this.handoff.abandon(callId, true);
    for (const callId of restored) {
      const call = this.registry.get(callId);
      if (call) store.mirror(callId, snapshotOf(call));
    }
    const lostNodes = store.lostNodes();
    for (const n of store.nodes()) {
      if (n.nodeId === this.nodeId) continue;
      if (!lostNodes.includes(n.nodeId)) this.handled.delete(n.nodeId);
      else if (!this.handled.has(n.nodeId)) {
        // Taken over beside the heartbeat, never inside it: a takeover may wait on the database
        // (a row the lost node locked until PostgreSQL drops its connection), and a node whose
        // heartbeat waits on that would look lost to the others in turn.
        this.handled.add(n.nodeId);
        this.takeovers = this.takeovers
          .then(() => this.nodeLost(n.nodeId))
          .catch((err: Error) => {
            this.handled.delete(n.nodeId); // tried again at the next heartbeat
            this.logger.error({ nodeId: n.nodeId, err: err.message }, 'taking over a lost node failed');
          });
      }
    }
  }

  private takeovers: Promise<void> = Promise.resolve();

  /** A node's heartbeat lapsed: its calls come here (those no other survivor took first); its sockets' seats wait out the grace. */
  private async nodeLost(nodeId: string): Promise<void> {
    const store = this.store!;
    this.handoff.nodeGone(nodeId);
    const lost = await store.callsOf(nodeId);
    for (const { callId, owner } of lost) {
      if (!(await store.takeOver(callId, owner))) continue;
      const snapshot = (await store.snapshot(callId)) as CallSnapshot | null;
      const gone = (id: string) => id === nodeId || !store.alive(id);
      if (snapshot) await this.handoff.adopt(snapshot, 'node_lost', gone);
      else {
        await this.handoff.endLost(callId);
        store.release(callId);
      }
    }
    if (lost.length) this.logger.warn({ nodeId, calls: lost.length }, 'node lost; its calls were taken over');
    await store.forgetNode(nodeId);
  }

  /** Another node moves a call here (its drain). */
  private async adopt({ callId, from }: { callId: string; from: Owner }): Promise<void> {
    const store = this.store!;
    if (this.state === 'draining') throw new DomainError('UNAVAILABLE', 'this node is draining');
    if (!(await store.takeOver(callId, from))) throw new DomainError('INVALID_STATE', 'the call changed owner meanwhile');
    const snapshot = (await store.snapshot(callId)) as CallSnapshot | null;
    if (!snapshot) throw notFound('call mirror');
    await this.handoff.adopt(snapshot, 'migrated', () => false);
  }

  /**
   * No new calls are placed here, and every call moves to another node (its people get
   * `media:reconnect`; nobody sees `call:ended`). The node stays up as a gateway for the
   * sockets connected to it, until it is stopped.
   */
  drain(): Promise<DrainReport> {
    this.draining ??= this.drainNow().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainNow(): Promise<DrainReport> {
    if (!this.store || !this.relay) throw new DomainError('INVALID_STATE', 'a single gateway has no other node to move its calls to (set REDIS_URL)');
    this.state = 'draining';
    await this.beat();
    let moved = 0;
    for (const call of this.registry.liveCalls()) {
      const target = this.placement.choose(this.nodeId);
      if (!target) break;
      if (await this.move(call.id, target)) moved++;
    }
    return { nodeId: this.nodeId, state: this.state, moved, remaining: this.registry.liveCalls().length };
  }

  private async move(callId: string, target: string): Promise<boolean> {
    const store = this.store!;
    const call = this.registry.get(callId);
    const owner = await store.ownerOf(callId);
    if (!call || !owner || owner.nodeId !== this.nodeId || !store.holds(callId)) return false;
    return store.moveOut(callId, async () => {
      store.mirror(callId, snapshotOf(call));
      await store.flushMirrors();
      try {
        await this.relay!.request(target, 'adopt', { callId, from: owner });
      } catch (err) {
        // Not taken (or the answer was lost): whoever holds the record now hosts it.
        this.logger.warn({ callId, target, err: (err as Error).message }, 'call not moved');
        const now = await store.ownerOf(callId);
        if (!now || now.nodeId === this.nodeId) return false;
      }
      store.disown(callId);
      this.handoff.abandon(callId);
      return true;
    });
  }

  /** SIGTERM: with other nodes serving, the calls move there instead of ending. */
  private async drainBeforeStop(): Promise<void> {
    if (!this.registry.liveCalls().length) return;
    await this.beat(); // the registry as it is now: a node that joined since the last heartbeat can take calls too
    if (!this.placement.candidates(this.nodeId).length) return;
    const r = await this.drain();
    this.logger.log({ moved: r.moved, remaining: r.remaining }, 'calls moved to other nodes before stopping');
  }

  /** Asks a node (this one or another) to drain. */
  async drainNode(nodeId: string): Promise<DrainReport> {
    if (nodeId === this.nodeId || !this.relay) {
      if (nodeId !== this.nodeId) throw notFound('node');
      return this.drain();
    }
    if (!this.store!.nodes().some((n) => n.nodeId === nodeId && n.alive)) throw notFound('node');
    return this.relay.request<DrainReport>(nodeId, 'drain', {}, 60_000);
  }

  /** What this node answers when another node asks every node `op` (see askAll). */
  answer(op: string, handler: () => unknown): void {
    this.relay?.handle(`all:${op}`, handler);
  }

  /**
   * Asks every other live node `op` at once (each answers from its own state, as registered
   * with answer()); a node that does not answer within RELAY_TIMEOUT_MS is left out and named.
   */
  async askAll<T>(op: string): Promise<{ answers: { nodeId: string; data: T }[]; missing: string[] }> {
    if (!this.store || !this.relay) return { answers: [], missing: [] };
    const others = this.store.nodes().filter((n) => n.alive && n.nodeId !== this.nodeId);
    const results = await Promise.allSettled(others.map((n) => this.relay!.request<T>(n.nodeId, `all:${op}`, {})));
    const answers: { nodeId: string; data: T }[] = [];
    const missing: string[] = [];
    results.forEach((r, i) => (r.status === 'fulfilled' ? answers.push({ nodeId: others[i].nodeId, data: r.value }) : missing.push(others[i].nodeId)));
    if (missing.length) this.logger.warn({ op, missing }, 'nodes did not answer');
    return { answers, missing };
  }

  get isDraining(): boolean {
    return this.state === 'draining';
  }
}
