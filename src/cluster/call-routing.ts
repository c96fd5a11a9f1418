import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { CallMediaService } from '../calls/call-media.service';
import { CallRegistry } from '../calls/call-registry';
import { CallService } from '../calls/call.service';
import { OwnedElsewhere, type Actor, type Identity } from '../calls/ports';
import type { SessionChanges } from '../calls/session-calls';
import { SessionCalls } from '../calls/session-calls';
import { SessionHostControls } from '../calls/session-host-controls';
import { DomainError } from '../common/domain-error';
import { PresenceService } from '../presence/presence.service';
import { QualityService } from '../quality/quality.service';
import type { ClusterStore } from './cluster-store';
import { CLUSTER_STORE, NODE_RELAY } from './cluster-store.module';
import type { NodeRelay } from './node-relay';
import { Placement } from './placement';

/* eslint-disable @typescript-eslint/no-explicit-any -- bodies are validated at the edge before they get here */
type Operation = (actor: any, body: any) => unknown;

/** What one node asks the owner of a call to run. */
interface Relayed {
  op: string;
  actor: Actor | Identity;
  body: unknown;
  callId?: string;
}

/**
 * Every request about a call runs on the node that owns the call. On the owner it runs here
 * at once; from any other gateway it is relayed to the owner over Redis and its answer
 * relayed back (UNAVAILABLE when the owner does not answer in RELAY_TIMEOUT_MS). A call that
 * does not exist yet is placed first: a new 1:1 call on the least-loaded node, a session's call
 * on its first join. One table of operations serves both paths, so every event of the
 * contract works the same on every gateway.
 */
@Injectable()
export class CallRouting implements OnModuleInit {
  private readonly ops = new Map<string, Operation>();

  constructor(
    private readonly calls: CallService,
    private readonly media: CallMediaService,
    private readonly hosts: SessionHostControls,
    private readonly sessions: SessionCalls,
    private readonly quality: QualityService,
    private readonly registry: CallRegistry,
    private readonly presence: PresenceService,
    private readonly placement: Placement,
    @Optional() @Inject(CLUSTER_STORE) private readonly store: ClusterStore | null,
    @Optional() @Inject(NODE_RELAY) private readonly relay: NodeRelay | null,
  ) {}

  async onModuleInit(): Promise<void> {
    const { calls, media, hosts, sessions, quality } = this;
    const table: Record<string, Operation> = {
      'call:initiate': (a, b) => calls.initiate(a, b),
      'call:join': (a, b) => calls.join(a, b.callId),
      'call:decline': (a, b) => calls.decline(a, b.callId),
      'call:cancel': (a, b) => calls.cancel(a, b.callId),
      'call:leave': (a, b) => calls.leave(a, b.callId),
      'call:end': (a, b) => calls.end(a, b.callId),
      'call:force-end': (a, b) => calls.forceEnd(a, b.callId),
      disconnect: (a) => calls.onDisconnect(a.userId, a.socketId),
      'media:create-transport': (a, b) => media.createTransport(a, b.callId, b.direction),
      'media:connect-transport': (a, b) => media.connectTransport(a, b),
      'media:produce': (a, b) => media.produce(a, b),
      'media:consume': (a, b) => media.consume(a, b),
      'media:resume-consumer': (a, b) => media.resumeConsumer(a, b.consumerId),
      'media:pause-producer': (a, b) => media.setProducerPaused(a, b.producerId, true),
      'media:resume-producer': (a, b) => media.setProducerPaused(a, b.producerId, false),
      'media:close-producer': (a, b) => media.closeProducer(a, b.producerId),
      'media:restart-ice': (a, b) => media.restartIce(a, b.transportId),
      'stats:report': (a, b) => quality.clientReport(a, b),
      'lobby:admit': (a, b) => hosts.admit(a, b.callId, b.userId),
      'lobby:admit-all': (a, b) => hosts.admitAll(a, b.callId),
      'lobby:deny': (a, b) => hosts.deny(a, b.callId, b.userId),
      'lobby:send-back': (a, b) => hosts.sendBack(a, b.callId, b.userId),
      'host:mute': (a, b) => hosts.mute(a, b.callId, b.userId, b.source),
      'host:remove': (a, b) => hosts.remove(a, b.callId, b.userId),
      'host:lock': (a, b) => hosts.lock(a, b.callId, b.locked),
      'session:extend': (a, b) => hosts.extend(a, b.callId, b.minutes),
      'session:apply': (a, b) => sessions.applyChanges(b.callId, { ...b.changes, startsAt: new Date(b.changes.startsAt) }, a.userId),
      'session:cancel': (a, b) => sessions.cancel(b.callId, a.userId),
      'session:invite-revoked': (a, b) => sessions.inviteRevoked(b.callId, b.inviteId, a.userId),
    };
    for (const [op, fn] of Object.entries(table)) this.ops.set(op, fn);
    if (this.relay) {
      this.relay.handle('call', (body) => this.serve(body as Relayed));
      await this.relay.start();
    }
  }

  /** A call request from a socket of this gateway. Without a call id, the call the user is in (by their busy lock). */
  async request(op: string, actor: Actor, body: unknown, callId?: string | null): Promise<unknown> {
    if (!this.store) return this.local(op, actor, body);
    const id = callId ?? (await this.presence.store.busyHolder(actor.userId)) ?? undefined;
    return this.route({ op, actor: { ...actor, nodeId: this.store.nodeId }, body, callId: id }, op === 'call:initiate' || op === 'call:join');
  }

  /** A call operation from REST (no socket): session changes, an end, a force-end. */
  run<T = unknown>(op: 'session:apply', actor: Identity, body: { callId: string; changes: SessionChanges }): Promise<T>;
  run<T = unknown>(op: 'session:cancel' | 'call:end' | 'call:force-end', actor: Identity, body: { callId: string }): Promise<T>;
  run<T = unknown>(op: 'session:invite-revoked', actor: Identity, body: { callId: string; inviteId: string }): Promise<T>;
  async run<T>(op: string, actor: Identity, body: { callId: string }): Promise<T> {
    if (!this.store) return (await this.local(op, actor, body)) as T;
    return (await this.route({ op, actor, body, callId: body.callId }, false)) as T;
  }

  private async route(req: Relayed, place: boolean): Promise<unknown> {
    const store = this.store!;
    const me = store.nodeId;
    const { callId } = req;
    if (!callId) return this.at(place ? this.placement.choose() : me, req);
    if (this.registry.has(callId) && store.holds(callId)) return this.at(me, req);
    const owner = await store.ownerOf(callId);
    if (owner && owner.nodeId !== me) {
      if (!(await store.isAlive(owner.nodeId))) throw new DomainError('UNAVAILABLE', "The call's node was lost; the call is moving to another node, try again in a moment");
      return this.at(owner.nodeId, req);
    }
    return this.at(owner || !place ? me : this.placement.choose(), req);
  }

  /** Runs the request on `nodeId`; a node that finds the call owned elsewhere sends it on (twice at most). */
  private async at(nodeId: string, req: Relayed, hops = 2): Promise<unknown> {
    const answer =
      nodeId === this.store!.nodeId ? await this.serve(req) : ((await this.relay!.request(nodeId, 'call', req)) as { data?: unknown; moved?: string });
    if (answer.moved) {
      if (hops === 0) throw new DomainError('UNAVAILABLE', 'The call is moving between nodes; try again');
      return this.at(answer.moved, req, hops - 1);
    }
    return answer.data ?? undefined;
  }

  /** On the owner (or the node a new call is placed on). */
  private async serve(req: Relayed): Promise<{ data?: unknown; moved?: string }> {
    const store = this.store!;
    // The call is being handed to another node: its media here is about to go, so wait and follow it.
    if (req.callId) await store.moving(req.callId);
    if (req.callId && !this.registry.has(req.callId)) {
      // It was here and moved, or another node opened it meanwhile: that node answers.
      const owner = await store.ownerOf(req.callId);
      if (owner && owner.nodeId !== store.nodeId && (await store.isAlive(owner.nodeId))) return { moved: owner.nodeId };
    }
    try {
      return { data: (await this.local(req.op, req.actor, req.body)) ?? null };
    } catch (err) {
      if (err instanceof OwnedElsewhere) return { moved: err.nodeId };
      throw err;
    }
  }

  private async local(op: string, actor: Actor | Identity, body: unknown): Promise<unknown> {
    const fn = this.ops.get(op);
    if (!fn) throw new DomainError('INTERNAL', `no operation ${op}`);
    return fn(actor, body);
  }
}
