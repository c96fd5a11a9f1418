import { Injectable } from '@nestjs/common';
import { CallService } from '../calls/call.service';
import type { Identity } from '../calls/ports';
import { notFound } from '../common/domain-error';
import { MediaService, type WorkerStats } from '../media/media.service';

export interface AdminCall {
  callId: string;
  status: string;
  initiatorId: string;
  media: 'audio' | 'video';
  createdAt: Date;
  answeredAt: Date | null;
  workerPid: number | null;
  participants: { userId: string; state: string; audioEnabled: boolean; videoEnabled: boolean }[];
}

/** What operators can see and do: workers (list, add, drain) and live calls (list, force-end). */
@Injectable()
export class OperationsService {
  constructor(
    private readonly media: MediaService,
    private readonly calls: CallService,
  ) {}

  workers(): Promise<WorkerStats[]> {
    return this.media.workerStats();
  }

  addWorker(): Promise<WorkerStats> {
    return this.media.addWorker();
  }

  async drainWorker(pid: number, migrate: boolean): Promise<{ pid: number; state: string; migratedCalls: number }> {
    const w = this.media.pool.drain(pid);
    if (!w) throw notFound('worker');
    const migratedCalls = migrate ? await this.media.migrateRoomsOff(pid) : 0;
    return { pid, state: w.state, migratedCalls };
  }

  liveCalls(): AdminCall[] {
    return this.calls.liveCalls().map((c) => {
      const room = this.media.hasRoom(c.id) ? this.media.room(c.id) : undefined;
      return {
        callId: c.id,
        status: c.status,
        initiatorId: c.initiatorId,
        media: c.media,
        createdAt: c.createdAt,
        answeredAt: c.answeredAt,
        workerPid: room && !room.isHomeless ? room.host.pid : null,
        participants: [...c.participants.values()].map((p) => ({ userId: p.userId, state: p.state, audioEnabled: p.audioEnabled, videoEnabled: p.videoEnabled })),
      };
    });
  }

  endCall(admin: Identity, callId: string): void {
    this.calls.forceEnd(admin, callId);
  }
}
