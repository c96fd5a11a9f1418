/**
 * The TCP and UDP sockets a set of processes hold, read from Linux's /proc: each process's
 * socket inodes (/proc/<pid>/fd -> `socket:[inode]`) matched against its network namespace's
 * tables (/proc/<pid>/net/{tcp,tcp6,udp,udp6}). For the no-egress test: which remote addresses
 * the server, its mediasoup workers and the browser are connected to.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type SocketProto = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export interface ProcSocket {
  pid: number;
  /** The process's command name (/proc/<pid>/comm), for messages. */
  comm: string;
  proto: SocketProto;
  /** The kernel's state code: TCP 01 ESTABLISHED, 02 SYN_SENT, 0A LISTEN...; UDP 07 unconnected, 01 connected. */
  state: string;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  inode: number;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** A readable state name: TCP's by its code, UDP's as connected/unconnected. */
export function stateName(s: ProcSocket): string {
  if (s.proto.startsWith('udp')) return s.state === '01' ? 'connected' : 'unconnected';
  return TCP_STATES[s.state] ?? s.state;
}

/**
 * A /proc/net address (`0100007F:1F90`, or 32 hex digits for IPv6) as text. The kernel prints
 * each 32-bit word of the address in host byte order (little-endian here), the port in big-endian hex.
 */
export function parseHexEndpoint(hex: string): { address: string; port: number } {
  const [addr, port] = hex.split(':');
  const words = addr.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  let address: string;
  if (bytes.length === 4) {
    address = bytes.join('.');
  } else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
    if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
      address = `::ffff:${bytes.slice(12).join('.')}`;
    } else {
      address = compressIpv6(groups);
    }
  }
  return { address, port: parseInt(port, 16) };
}

/** `0:0:0:0:0:0:0:1` -> `::1` (the longest run of zero groups becomes `::`). */
function compressIpv6(groups: string[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Loopback: 127.0.0.0/8, ::1, or an IPv4-mapped 127.x address. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return /^127\.\d+\.\d+\.\d+$/.test(a) || a === '::1' || /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}

/** No peer: an unconnected UDP socket or a listening TCP socket (0.0.0.0:0 or :::0). */
export function isUnspecified(e: { address: string; port: number }): boolean {
  return e.port === 0 && (e.address === '0.0.0.0' || e.address === '::');
}

/** One table (/proc/<pid>/net/tcp etc.) as rows keyed by socket inode. */
function readTable(pid: number, proto: SocketProto): Map<number, Omit<ProcSocket, 'pid' | 'comm'>> {
  const out = new Map<number, Omit<ProcSocket, 'pid' | 'comm'>>();
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/${proto}`, 'utf8');
  } catch {
    return out; // the process exited meanwhile, or no IPv6
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    if (!inode) continue;
    out.set(inode, { proto, state: f[3], local: parseHexEndpoint(f[1]), remote: parseHexEndpoint(f[2]), inode });
  }
  return out;
}

/** The socket inodes a process holds open (empty once it has exited). */
function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: number[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.push(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** Every TCP/UDP socket (v4 and v6) the processes `pids` hold; unix and netlink sockets are not listed. */
export function socketsOf(pids: number[]): ProcSocket[] {
  const out: ProcSocket[] = [];
  // Processes in one network namespace see the same tables: read them once per namespace.
  const tables = new Map<string, Array<Map<number, Omit<ProcSocket, 'pid' | 'comm'>>>>();
  for (const pid of pids) {
    const inodes = socketInodes(pid);
    if (inodes.length === 0) continue;
    const ns = (() => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        return `pid:${pid}`;
      }
    })();
    if (!tables.has(ns)) tables.set(ns, (['tcp', 'tcp6', 'udp', 'udp6'] as const).map((p) => readTable(pid, p)));
    const comm = readOr(`/proc/${pid}/comm`, '?');
    for (const inode of inodes) {
      for (const table of tables.get(ns)!) {
        const row = table.get(inode);
        if (row) out.push({ pid, comm, ...row });
      }
    }
  }
  return out;
}

/** `pid` and every process below it (children, grandchildren...), from /proc/<pid>/stat's ppid. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`, '');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    if (!ppid) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(name));
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** One socket as a line for a failure message. */
export function describeSocket(s: ProcSocket): string {
  const ep = (e: { address: string; port: number }) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  return `pid ${s.pid} (${s.comm}) ${s.proto} ${stateName(s)} ${ep(s.local)} -> ${ep(s.remote)}`;
}
