import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { LiveCall } from './live-call';
import { CALL_LOG_STORE, type CallLogStore } from './ports';

/** The call log's writer: one queue per call, so the log never sees an older state after a newer one. */
@Injectable()
export class CallLogWriter {
  private readonly logger = new Logger('Calls');
  private readonly queue = new Map<string, Promise<void>>();

  constructor(
    @Inject(CALL_LOG_STORE) private readonly log: CallLogStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  persist(call: LiveCall): void {
    const record = call.toRecord();
    const prev = this.queue.get(call.id) ?? Promise.resolve();
    const next = prev
      .then(() => this.log.save(record, this.config.instanceId))
      .catch((err: Error) => this.logger.error({ callId: call.id, err: err.message }, 'call log write failed'))
      .finally(() => {
        if (this.queue.get(call.id) === next) this.queue.delete(call.id);
      });
    this.queue.set(call.id, next);
  }

  /** A write for this call is still on its way. */
  pending(callId: string): boolean {
    return this.queue.has(callId);
  }

  /** Resolves when every queued write has landed. */
  async flush(): Promise<void> {
    await Promise.all(this.queue.values());
  }
}
