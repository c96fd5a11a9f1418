/**
 * The flooding clients of bench/calls-flood.ts, in a child process of their own so their
 * CPU and event loop are not the server's (the server runs inside the bench process).
 * Each socket is a different user and keeps FLOOD_IN_FLIGHT requests outstanding at all
 * times (a new one as soon as an ack comes back): as fast as the server lets it. The mix:
 * presence:list, call:initiate with garbage, call:initiate with a valid payload to random
 * (mostly offline) users and to the other flooders, and call:join to random ids.
 *
 * Protocol (IPC): parent -> { type:'start', url, users:[{userId, token}], inFlight }
 *                 child  -> { type:'ready' } once every socket is connected
 *                 parent -> { type:'go' } ... { type:'stop' }
 *                 child  -> { type:'done', stats }
 */
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

export interface FloodStart {
  type: 'start';
  url: string;
  users: { userId: string; token: string }[];
  inFlight: number;
}
export interface FloodStats {
  sockets: number;
  seconds: number;
  /** this child's CPU over the flood, % of one core (is the flood bound by its own client?) */
  cpuPercent: number;
  sent: number;
  acked: number;
  refused: number;
  timeouts: number;
  /** times the server dropped a flooding socket */
  disconnects: number;
  /** reconnect attempts after a drop, and how many the server refused (RATE_CONNECT_*) */
  reconnects: number;
  connectRefused: number;
  /** ack error codes other than RATE_LIMITED (validation, offline, not found, ...) */
  errors: Record<string, number>;
  /** acks that were ok, by event */
  okByEvent: Record<string, number>;
}
export type FloodMessage = { type: 'ready' } | { type: 'done'; stats: FloodStats };

const ACK_TIMEOUT_MS = 10_000;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

const garbage: (() => unknown)[] = [
  () => undefined,
  () => 'garbage',
  () => 42,
  () => ({ calleeIds: 'everyone', media: 'video' }),
  () => ({ calleeIds: [], media: 'audio' }),
  () => ({ calleeIds: ['x'.repeat(500)], media: 'audio' }),
  () => ({ calleeIds: [randomUUID()], media: 'hologram' }),
  () => ({ calleeIds: Array.from({ length: 60 }, () => randomUUID()), media: 'video' }),
  () => ({ nested: { deeper: { deepest: [1, 2, 3] } } }),
];

async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

async function main(): Promise<void> {
  const start = await new Promise<FloodStart>((resolve) => process.once('message', (m) => resolve(m as FloodStart)));
  // One slot per flooding user: its current socket. A dropped socket is replaced at once, as an attacker would.
  const slots = await Promise.all(start.users.map(async (u) => ({ token: u.token, socket: await connect(start.url, u.token), reconnecting: null as Promise<void> | null })));
  const ids = start.users.map((u) => u.userId);
  const stats: FloodStats = { sockets: slots.length, seconds: 0, cpuPercent: 0, sent: 0, acked: 0, refused: 0, timeouts: 0, disconnects: 0, reconnects: 0, connectRefused: 0, errors: {}, okByEvent: {} };
  let running = true;
  const watch = (slot: (typeof slots)[number]) => slot.socket.once('disconnect', () => running && stats.disconnects++);
  const reconnect = (slot: (typeof slots)[number]): Promise<void> =>
    (slot.reconnecting ??= (async () => {
      while (running) {
        stats.reconnects++;
        try {
          slot.socket = await connect(start.url, slot.token);
          watch(slot);
          return;
        } catch {
          stats.connectRefused++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })().finally(() => (slot.reconnecting = null)));
  slots.forEach(watch);
  const stopped = new Promise<void>((resolve) =>
    process.on('message', (m) => {
      if ((m as { type: string }).type === 'stop') {
        running = false;
        resolve();
      }
    }),
  );
  const go = new Promise<void>((resolve) => process.on('message', (m) => (m as { type: string }).type === 'go' && resolve()));
  process.send!({ type: 'ready' } satisfies FloodMessage);
  await go;

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const next = (self: string): [string, unknown] => {
    const others = ids.filter((id) => id !== self);
    switch (Math.floor(Math.random() * 4)) {
      case 0:
        return ['presence:list', {}];
      case 1:
        return ['call:initiate', pick(garbage)()];
      case 2: {
        const target = others.length && Math.random() < 0.5 ? pick(others) : `nobody-${randomUUID()}`;
        return ['call:initiate', { calleeIds: [target], media: pick(['audio', 'video'] as const) }];
      }
      default:
        return ['call:join', { callId: randomUUID() }];
    }
  };
  const lane = async (slot: (typeof slots)[number], self: string) => {
    while (running) {
      if (!slot.socket.connected) {
        await reconnect(slot);
        continue;
      }
      const socket = slot.socket;
      const [event, payload] = next(self);
      stats.sent++;
      try {
        const res = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as { ok: boolean; error?: { code: string } };
        stats.acked++;
        if (res.ok) stats.okByEvent[event] = (stats.okByEvent[event] ?? 0) + 1;
        else if (res.error?.code === 'RATE_LIMITED') stats.refused++;
        else stats.errors[res.error?.code ?? '?'] = (stats.errors[res.error?.code ?? '?'] ?? 0) + 1;
      } catch {
        if (socket.connected) stats.timeouts++;
      }
    }
  };
  const lanes = slots.flatMap((slot, i) => Array.from({ length: start.inFlight }, () => lane(slot, ids[i])));
  await stopped;
  stats.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stats.cpuPercent = ((cpu.user + cpu.system) / 1e6 / stats.seconds) * 100;
  // Requests still in flight at 'stop' are counted as sent; give their acks a moment.
  await Promise.race([Promise.all(lanes), new Promise((r) => setTimeout(r, 2000))]);
  process.send!({ type: 'done', stats } satisfies FloodMessage);
  for (const slot of slots) slot.socket.disconnect();
  setTimeout(() => process.exit(0), 100);
}

main().catch((err) => {
  console.error('flooder:', err);
  process.exit(1);
});
