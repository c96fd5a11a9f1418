import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CallRegistry } from '../calls/call-registry';
import { CallRouting } from '../cluster/call-routing';
import { ClusterNode, type DrainReport } from '../cluster/cluster-node';
import type { Identity } from '../calls/ports';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import type { WorkerStats } from '../media/media.types';
import type { AdminCall, AdminNode, DrainResult, Json } from '../signaling/rest-contract';
import type { AuditPage, AuditQuery } from '../audit/audit.port';
import { OperatorAudit } from '../audit/operator-audit';

export type { AdminCall } from '../signaling/rest-contract';

/**
 * What operators can see and do: nodes (list, drain), this node's workers (list, add, drain)
 * and every node's live calls (list, force-end).
 * Every action is in the operator audit log with its actor and outcome.
 */
@Injectable()
export class OperationsService implements OnModuleInit {
  constructor(
    @Inject(MEDIA_OPERATIONS) private readonly media: MediaOperations,
    private readonly routing: CallRouting,
    private readonly cluster: ClusterNode,
    private readonly registry: CallRegistry,
    private readonly audit: OperatorAudit,
  ) {}

  workers(): Promise<WorkerStats[]> {
    return this.media.workerStats();
  }

  addWorker(admin: Identity): Promise<WorkerStats> {
    return this.audit.track(admin, 'worker.add', null, () => this.media.addWorker(), (w) => ({ target: String(w.pid) }));
  }

  drainWorker(admin: Identity, pid: number, migrate: boolean): Promise<DrainResult> {
    return this.audit.track(
      admin,
      'worker.drain',
      String(pid),
      () => this.media.drainWorker(pid, migrate),
      (r) => ({ detail: { migrate, migratedCalls: r.migratedCalls } }),
    );
  }

  onModuleInit(): void {
    this.cluster.answer('admin:calls', () => this.callsHere());
  }

  /** The live calls of every node of the deployment (a node that does not answer in time is left out, and logged). */
  async liveCalls(): Promise<Json<AdminCall>[]> {
    const { answers } = await this.cluster.askAll<Json<AdminCall>[]>('admin:calls');
    return [...this.callsHere(), ...answers.flatMap((a) => a.data)];
  }

  /** The calls this node hosts, as they go over the wire. */
  private callsHere(): Json<AdminCall>[] {
    const nodeId = this.cluster.nodeId;
    return this.registry.liveCalls().map((c) => ({
      callId: c.id,
      status: c.status,
      initiatorId: c.initiatorId,
      media: c.media,
      createdAt: c.createdAt.toISOString(),
      answeredAt: c.answeredAt?.toISOString() ?? null,
      nodeId,
      workerPid: this.media.workerOf(c.id),
      participants: [...c.participants.values()].map((p) => ({ userId: p.userId, state: p.state, audioEnabled: p.audioEnabled, videoEnabled: p.videoEnabled })),
    }));
  }

  async endCall(admin: Identity, callId: string): Promise<void> {
    await this.audit.track(admin, 'call.force_end', callId, () => this.routing.run('call:force-end', admin, { callId }));
  }

  /** Every gateway node of this deployment, with its load. */
  nodes(): AdminNode[] {
    return this.cluster.nodes().map((n) => ({ ...n, at: new Date(n.at).toISOString() }));
  }

  /** Moves a node's calls to the other nodes; it takes no new calls from then on. */
  drainNode(admin: Identity, nodeId: string): Promise<DrainReport> {
    return this.audit.track(admin, 'node.drain', nodeId, () => this.cluster.drainNode(nodeId), (r) => ({ detail: { moved: r.moved, remaining: r.remaining } }));
  }

  auditLog(query: AuditQuery): Promise<AuditPage> {
    return this.audit.page(query);
  }
}
