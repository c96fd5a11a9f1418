import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DomainError } from '../common/domain-error';
import type { ErrorCode } from '../common/error-codes';

/** A request addressed to one node, answered once. */
interface RelayRequest {
  id: string;
  from: string;
  op: string;
  body: unknown;
  /** Absolute deadline (ms since epoch): a request that arrives late is not run. */
  deadline: number;
}

type RelayReply = { id: string; ok: true; data: unknown } | { id: string; ok: false; code: ErrorCode | 'INTERNAL'; message: string; details?: Record<string, unknown> };

export type RelayHandler = (body: unknown, from: string) => Promise<unknown> | unknown;

/**
 * Request/response between gateway nodes over Redis pub/sub: every node listens on its own
 * channel (`<prefix>relay:<nodeId>`) and on its reply channel, and each request carries an id, the
 * sender and an absolute deadline (the psrpc pattern). socket.io's `serverSideEmitWithAck` was
 * considered and not used: it cannot address one server, and it waits for a reply from every
 * server subscribed, so a node that just died holds every request for the full timeout.
 * Nothing is queued: a request to a node that is gone times out as UNAVAILABLE.
 */
export class NodeRelay {
  private readonly logger = new Logger('Relay');
  private readonly handlers = new Map<string, RelayHandler>();
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    readonly nodeId: string,
    private readonly timeoutMs: number,
  ) {}

  private channel(nodeId: string): string {
    return `${this.prefix}relay:${nodeId}`;
  }

  private replyChannel(nodeId: string): string {
    return `${this.prefix}relay-reply:${nodeId}`;
  }

  async start(): Promise<void> {
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => void this.onMessage(channel.toString(), message.toString()));
    await this.sub.subscribe(this.channel(this.nodeId), this.replyChannel(this.nodeId));
  }

  /** What this node answers for `op`. */
  handle(op: string, handler: RelayHandler): void {
    this.handlers.set(op, handler);
  }

  /** Sends `op` to one node and resolves its answer; its DomainError is rethrown here as the same error. */
  request<T = unknown>(nodeId: string, op: string, body: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new DomainError('UNAVAILABLE', 'this gateway is stopping'));
    const req: RelayRequest = { id: randomUUID(), from: this.nodeId, op, body, deadline: Date.now() + timeoutMs };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(req.id);
        reject(new DomainError('UNAVAILABLE', "The call's node did not answer; try again", { nodeId }));
      }, timeoutMs);
      this.waiting.set(req.id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.pub.publish(this.channel(nodeId), JSON.stringify(req)).then(
        (receivers) => {
          // Nobody listens on that node's channel: it is gone; say so now instead of at the timeout.
          if (receivers === 0) this.settle({ id: req.id, ok: false, code: 'UNAVAILABLE', message: "The call's node is not reachable; try again", details: { nodeId } });
        },
        () => this.settle({ id: req.id, ok: false, code: 'UNAVAILABLE', message: 'Redis is unavailable; try again' }),
      );
    });
  }

  /** Stops answering and fails whatever is still waiting. */
  close(): void {
    this.closed = true;
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new DomainError('UNAVAILABLE', 'this gateway is stopping'));
      this.waiting.delete(id);
    }
  }

  async quit(): Promise<void> {
    await Promise.all([this.pub.quit().catch(() => undefined), this.sub.quit().catch(() => undefined)]);
  }

  private async onMessage(channel: string, raw: string): Promise<void> {
    let msg: RelayRequest | RelayReply;
    try {
      msg = JSON.parse(raw) as RelayRequest | RelayReply;
    } catch {
      return;
    }
    if (channel === this.replyChannel(this.nodeId)) return this.settle(msg as RelayReply);
    const req = msg as RelayRequest;
    if (Date.now() > req.deadline) return; // its sender gave up already
    const handler = this.handlers.get(req.op);
    let reply: RelayReply;
    try {
      if (!handler) throw new DomainError('UNAVAILABLE', `this node does not serve ${req.op}`);
      reply = { id: req.id, ok: true, data: (await handler(req.body, req.from)) ?? null };
    } catch (err) {
      if (err instanceof DomainError) reply = { id: req.id, ok: false, code: err.code, message: err.message, details: err.details };
      else {
        this.logger.error({ op: req.op, err: (err as Error)?.message }, 'relayed request failed');
        reply = { id: req.id, ok: false, code: 'INTERNAL', message: 'Internal error' };
      }
    }
    if (this.closed && !reply.ok) return;
    await this.pub.publish(this.replyChannel(req.from), JSON.stringify(reply)).catch(() => undefined);
  }

  private settle(reply: RelayReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    clearTimeout(w.timer);
    if (reply.ok) w.resolve(reply.data);
    else w.reject(new DomainError(reply.code as ErrorCode, reply.message, reply.details));
  }
}
