import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '../common/domain-error';
import { CallLogWriter } from './call-log-writer';
import { CALL_LOG_STORE, type CallEventEntry, type CallHistoryEntry, type CallLogStore, type Identity } from './ports';

/** Reads of the call log. A member sees only calls they were part of; an admin sees all. */
@Injectable()
export class CallHistoryService {
  constructor(
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    private readonly writer: CallLogWriter,
  ) {}

  async history(who: Identity, q: { userId?: string; conversationId?: string; limit: number }): Promise<CallHistoryEntry[]> {
    const userId = q.userId ?? (who.role === 'admin' && q.conversationId ? undefined : who.userId);
    if (who.role !== 'admin' && userId !== who.userId) throw new DomainError('FORBIDDEN', 'You can only read your own call history');
    await this.writer.flush();
    return this.log.history({ userId, conversationId: q.conversationId, limit: q.limit });
  }

  async one(who: Identity, callId: string): Promise<CallHistoryEntry & { events: CallEventEntry[] }> {
    await this.writer.flush();
    const call = await this.log.find(callId);
    // Not a participant: it does not exist for you.
    if (!call || (who.role !== 'admin' && !call.participants.some((p) => p.userId === who.userId))) throw notFound('call');
    return call;
  }
}
