import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '../common/domain-error';
import { CallLogWriter } from './call-log-writer';
import { CALL_LOG_STORE, type CallEventEntry, type CallHistoryEntry, type CallLogStore, type Identity } from './ports';

/**
 * Reads of the call log. An admin sees every call. Anyone else sees a call they placed, were
 * rung for, host, or were admitted to; of a session call, someone who is not its host sees only
 * those who were admitted (never who knocked and was turned away), and only their events.
 */
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
    const calls = await this.log.history({ userId, conversationId: q.conversationId, limit: q.limit });
    return who.role === 'admin' ? calls : calls.map((c) => ({ ...c, participants: visibleTo(who.userId, c.participants) }));
  }

  async one(who: Identity, callId: string): Promise<CallHistoryEntry & { events: CallEventEntry[] }> {
    await this.writer.flush();
    const call = await this.log.find(callId);
    const me = call?.participants.find((p) => p.userId === who.userId);
    // Not part of it (or only knocked): it does not exist for you.
    if (!call || (who.role !== 'admin' && (!me || !admitted(me)))) throw notFound('call');
    if (who.role === 'admin') return call;
    const participants = visibleTo(who.userId, call.participants);
    const shown = new Set(participants.map((p) => p.userId));
    return { ...call, participants, events: call.events.filter((e) => e.userId === null || shown.has(e.userId)) };
  }
}

type Part = CallHistoryEntry['participants'][number];

/** Placed, rung, hosting, or let in (a session guest admitted from the waiting room). */
const admitted = (p: Part): boolean => p.role === 'initiator' || p.role === 'callee' || p.role === 'host' || p.joinedAt !== null;

/** A session's hosts see everyone who knocked; everyone else sees those who were let in. */
function visibleTo(userId: string, parts: Part[]): Part[] {
  const host = parts.some((p) => p.userId === userId && p.role === 'host');
  return host ? parts : parts.filter(admitted);
}
