import { Inject, Injectable, Logger } from '@nestjs/common';
import { DurableQueue } from '../common/durable-queue';
import { SESSION_ADMISSIONS, SESSION_DIRECTORY, type SessionAdmissions, type SessionDirectory } from './session-controls';

/**
 * Changes a live session owes its row (lock, duration, the end, blocks): in one ordered queue
 * that keeps each change until it commits, so a PostgreSQL outage loses none of them and a
 * later one never lands before an earlier one.
 */
@Injectable()
export class SessionWrites {
  private readonly queue = new DurableQueue('session state', new Logger('Sessions'));

  constructor(
    @Inject(SESSION_DIRECTORY) private readonly directory: SessionDirectory,
    @Inject(SESSION_ADMISSIONS) private readonly admissions: SessionAdmissions,
  ) {}

  setLocked(sessionId: string, locked: boolean): Promise<void> {
    return this.queue.enqueue('lock', () => this.directory.setLocked(sessionId, locked)).attempted;
  }

  setDuration(sessionId: string, durationMinutes: number): Promise<void> {
    return this.queue.enqueue('duration', () => this.directory.setDuration(sessionId, durationMinutes)).attempted;
  }

  markEnded(sessionId: string): void {
    this.queue.enqueue('end', () => this.directory.markEnded(sessionId));
  }

  block(sessionId: string, userId: string, inviteId: string | null): void {
    this.queue.enqueue('block', () => this.admissions.block(sessionId, userId, inviteId));
  }

  get depth(): { writes: number; oldestAgeSeconds: number } {
    return { writes: this.queue.size, oldestAgeSeconds: this.queue.oldestAgeSeconds() };
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }
}
