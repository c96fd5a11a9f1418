import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { DurableQueue } from '../common/durable-queue';
import type { Identity } from '../common/identity';
import { AUDIT_LOG, type AuditAction, type AuditDetail, type AuditLog, type AuditPage, type AuditQuery } from './audit.port';

/** What an action's result adds to its entry: the target it turned out to have (a new worker's pid), facts. */
export interface AuditOutcomeNote {
  target?: string | null;
  detail?: AuditDetail;
}

/**
 * Runs an operator action and records it, succeeded or failed, with its actor. A record that
 * cannot be written is logged as an error and does not undo or fail the action (a started
 * worker stays started); the action's own error is rethrown unchanged.
 */
@Injectable()
export class OperatorAudit {
  private readonly logger = new Logger('OperatorAudit');

  private readonly queue: DurableQueue;

  constructor(@Inject(AUDIT_LOG) private readonly log: AuditLog) {
    this.queue = new DurableQueue('operator audit', this.logger);
  }

  async track<T>(actor: Identity, action: AuditAction, target: string | null, run: () => Promise<T> | T, note?: (result: T) => AuditOutcomeNote): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const errorCode = err instanceof DomainError ? err.code : 'INTERNAL';
      await this.write({ actorId: actor.userId, action, target, outcome: 'failed', errorCode });
      throw err;
    }
    const extra = note?.(result) ?? {};
    await this.write({ actorId: actor.userId, action, target: extra.target === undefined ? target : extra.target, outcome: 'ok', detail: extra.detail ?? null });
    return result;
  }

  page(query: AuditQuery): Promise<AuditPage> {
    return this.log.page(query);
  }

  /** Queued until it commits (a database outage loses no entry); the action waits for the first attempt only. */
  private async write(entry: Parameters<AuditLog['record']>[0]): Promise<void> {
    await this.queue.enqueue(entry.action, () => this.log.record(entry)).attempted;
  }

  get depth(): { writes: number; oldestAgeSeconds: number } {
    return { writes: this.queue.size, oldestAgeSeconds: this.queue.oldestAgeSeconds() };
  }
}
