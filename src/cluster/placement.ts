import { Inject, Injectable, Optional } from '@nestjs/common';
import { CallRegistry } from '../calls/call-registry';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import type { ClusterStore, NodeInfo } from './cluster-store';
import { CLUSTER_STORE } from './cluster-store.module';

/** A node's load as it reports it: live workers, calls hosted, people seated in them. */
export type NodeLoad = Pick<NodeInfo, 'workers' | 'calls' | 'peers'>;

/**
 * Where a new call goes: the least-loaded node that is alive and serving (not draining) and
 * has a live worker. Load is seated people plus calls per worker; calls placed on a node
 * since its last heartbeat count too, because its own figures lag by up to a heartbeat (the
 * correction Jitsi's bridge selector makes). This node's own figures are read now, not from
 * the registry. A tie keeps the call on this node: no relay hop.
 */
@Injectable()
export class Placement {
  /** Calls placed per node since the `at` of its entry that was read. */
  private readonly recent = new Map<string, { at: number; count: number }>();

  constructor(
    private readonly registry: CallRegistry,
    @Inject(MEDIA_OPERATIONS) private readonly mediaOps: MediaOperations,
    @Optional() @Inject(CLUSTER_STORE) private readonly store: ClusterStore | null,
  ) {}

  /** This node's load now. */
  ownLoad(): NodeLoad {
    const calls = this.registry.liveCalls();
    return {
      workers: this.mediaOps.liveWorkerCount(),
      calls: calls.length,
      peers: calls.reduce((n, c) => n + [...c.participants.values()].filter((p) => p.present).length, 0),
    };
  }

  /** The node for a new call; this node when nothing better is known. */
  choose(exclude?: string): string {
    const me = this.store?.nodeId ?? '';
    const best = this.candidates(exclude)[0];
    if (!best) return exclude === me ? '' : me;
    const r = this.recent.get(best.nodeId);
    this.recent.set(best.nodeId, { at: best.at, count: r && r.at === best.at ? r.count + 1 : 1 });
    return best.nodeId;
  }

  /** Serving nodes, least loaded first (this node first among equals). */
  candidates(exclude?: string): NodeInfo[] {
    if (!this.store) return [];
    const me = this.store.nodeId;
    const load = (n: NodeInfo) => {
      const r = n.nodeId === me ? undefined : this.recent.get(n.nodeId); // this node's own figures are current
      return (n.peers + n.calls + (r && r.at === n.at ? r.count : 0)) / Math.max(1, n.workers);
    };
    return this.store
      .nodes()
      .map((n) => (n.nodeId === me ? { ...n, ...this.ownLoad() } : n))
      .filter((n) => n.alive && n.state === 'serving' && n.workers > 0 && n.nodeId !== exclude)
      .sort((a, b) => load(a) - load(b) || (a.nodeId === me ? -1 : b.nodeId === me ? 1 : a.nodeId.localeCompare(b.nodeId)));
  }
}
