import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Socket } from 'socket.io';
import { toAckError } from '../common/ack';
import { DomainError } from '../common/domain-error';
import type { Identity } from '../common/identity';
import type { RateLimits } from '../limits/rate-limits';

/** The client's address: the socket's peer, or what a trusted proxy (TRUST_PROXY) says it forwarded for. */
export function clientAddress(req: IncomingMessage, trust: ReturnType<typeof proxyaddr.compile>): string {
  return proxyaddr(req, trust);
}

/**
 * The costly requests, once their payload is valid: RATE_CALL_SETUP for call:initiate and
 * call:join per user, and RATE_CALL_REPEAT for initiating again to the same people (ring-and-
 * cancel loops that would keep others busy).
 */
export async function limitCallSetup(limits: RateLimits, userId: string, calleeIds?: string[]): Promise<void> {
  await limits.consume('callSetup', userId);
  if (calleeIds) await limits.consume('callRepeat', `${userId}\n${[...new Set(calleeIds)].sort().join('\n')}`);
}

/** A connection attempt: refused (connect_error RATE_LIMITED) past RATE_CONNECT_IP per address. */
export async function limitConnectAttempt(limits: RateLimits, address: string): Promise<void> {
  await limits.consume('connectIp', address);
}

/** A signed-in connection: past RATE_CONNECT_USER, or with MAX_SOCKETS_PER_USER open already, refused. */
export async function limitUserConnection(limits: RateLimits, user: Identity, openSockets: number, maxSockets: number): Promise<void> {
  await limits.consume('connectUser', user.userId);
  if (openSockets >= maxSockets) {
    throw new DomainError('RATE_LIMITED', `at most ${maxSockets} connections per user`, { reason: 'too_many_sockets' });
  }
}

/**
 * Every event of this socket, well-formed or not, is counted before any handler runs:
 * RATE_SOCKET_EVENTS per socket and RATE_USER_EVENTS per user. Over a limit, the ack is
 * RATE_LIMITED with retryAfterMs and the handler never runs. A socket that goes on sending
 * once refused (more refused events in one window than it is allowed) is a flood, not a
 * client waiting out retryAfterMs: it is disconnected, and coming back costs a connection
 * attempt (RATE_CONNECT_IP, RATE_CONNECT_USER).
 */
export function limitSocketEvents(socket: Socket, limits: RateLimits, user: Identity, allowedPerWindow: number, onFlood: () => void): void {
  let refused = 0;
  let windowEnds = 0;
  const refusedOnce = (err: unknown) => {
    const retryAfterMs = Number((err as DomainError)?.details?.retryAfterMs ?? 0);
    const now = Date.now();
    if (now >= windowEnds) {
      refused = 0;
      windowEnds = now + retryAfterMs;
    }
    if (++refused > allowedPerWindow && socket.connected) {
      onFlood();
      socket.disconnect(true);
    }
  };
  socket.use((packet, next) => {
    const ack = packet.find((x, i) => i > 0 && typeof x === 'function') as ((a: unknown) => void) | undefined;
    const checks = async () => {
      await limits.consume('socketEvents', socket.id);
      await limits.consume('userEvents', user.userId);
    };
    checks().then(
      () => next(),
      (err: unknown) => {
        ack?.(toAckError(err).ack);
        if (err instanceof DomainError && err.code === 'RATE_LIMITED') refusedOnce(err);
      },
    );
  });
}
