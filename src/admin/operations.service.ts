import { Inject, Injectable } from '@nestjs/common';
import { CallRegistry } from '../calls/call-registry';
import { CallService } from '../calls/call.service';
import type { Identity } from '../calls/ports';
import { MEDIA_OPERATIONS, type MediaOperations } from '../media/media-operations.port';
import type { WorkerStats } from '../media/media.types';
import type { AdminCall, DrainResult } from '../signaling/rest-contract';

export type { AdminCall } from '../signaling/rest-contract';

/** What operators can see and do: workers (list, add, drain) and live calls (list, force-end). */
@Injectable()
export class OperationsService {
  constructor(
    @Inject(MEDIA_OPERATIONS) private readonly media: MediaOperations,
    private readonly calls: CallService,
    private readonly registry: CallRegistry,
  ) {}

  workers(): Promise<WorkerStats[]> {
    return this.media.workerStats();
  }

  addWorker(): Promise<WorkerStats> {
    return this.media.addWorker();
  }

  drainWorker(pid: number, migrate: boolean): Promise<DrainResult> {
    return this.media.drainWorker(pid, migrate);
  }

  liveCalls(): AdminCall[] {
    return this.registry.liveCalls().map((c) => {
      return {
        callId: c.id,
        status: c.status,
        initiatorId: c.initiatorId,
        media: c.media,
        createdAt: c.createdAt,
        answeredAt: c.answeredAt,
        workerPid: this.media.workerOf(c.id),
        participants: [...c.participants.values()].map((p) => ({ userId: p.userId, state: p.state, audioEnabled: p.audioEnabled, videoEnabled: p.videoEnabled })),
      };
    });
  }

  endCall(admin: Identity, callId: string): void {
    this.calls.forceEnd(admin, callId);
  }
}
