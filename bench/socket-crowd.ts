/**
 * The idle crowd of bench/gateway.ts, in a child process of its own (its CPU and event loop
 * are not the gateway's): connected socket.io clients, each a different signed-in member,
 * that stay connected and only listen: every presence change reaches them, as `presence:batch`
 * frames when `presence` is 'batched' (what the sample client asks for), else one
 * `presence:changed` each.
 *
 * Protocol (IPC): parent -> { type:'add', url, tokens:string[] }
 *                 child  -> { type:'added', connected, failed, events }
 *                 parent -> { type:'stop' }  (disconnects all, exits)
 */
import { io, type Socket } from 'socket.io-client';

export interface CrowdAdd {
  type: 'add';
  url: string;
  tokens: string[];
  presence?: 'batched';
}
export interface CrowdAdded {
  type: 'added';
  connected: number;
  failed: number;
  /** events received so far by the whole crowd */
  events: number;
}

const sockets: Socket[] = [];
let events = 0;
const CONCURRENCY = 50;

function connect(url: string, token: string, presence?: 'batched'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = io(url, { auth: { token, ...(presence ? { presence } : {}) }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
    s.onAny(() => void events++);
    s.once('connect', () => (sockets.push(s), resolve(true)));
    s.once('connect_error', () => (s.close(), resolve(false)));
  });
}

process.on('message', async (msg: CrowdAdd | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    for (const s of sockets) s.disconnect();
    setTimeout(() => process.exit(0), 200);
    return;
  }
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < msg.tokens.length) {
        const token = msg.tokens[next++];
        if (!(await connect(msg.url, token, msg.presence))) failed++;
      }
    }),
  );
  const reply: CrowdAdded = { type: 'added', connected: sockets.filter((s) => s.connected).length, failed, events };
  process.send!(reply);
});
