import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface TurnServer {
  port: number;
  secret: string;
  /** What coturn logged so far (for assertions on allocations and for failure output). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Debian's coturn (`turnserver`) on loopback with TURN REST credentials (`use-auth-secret`),
 * as a clinic runs it; loopback peers allowed because the SFU listens on 127.0.0.1 here.
 */
export async function startTurnServer(secret: string, port: number): Promise<TurnServer> {
  const bin = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
  const relayMin = 49160 + Math.floor(Math.random() * 400) * 10;
  const proc: ChildProcess = spawn(
    bin,
    [
      '-n', // no config file
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${relayMin}`,
      `--max-port=${relayMin + 9}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=hearth.test',
      '--fingerprint',
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--no-multicast-peers',
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
      `--pidfile=/tmp/hearth-test-turn-${port}.pid`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const { log, stop } = await watchTurnserver(proc, port, 'turnserver');
  return {
    port,
    secret,
    log,
    stop,
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Collects a spawned turnserver's output and waits until it listens on `port` (TCP on 127.0.0.1). */
export async function watchTurnserver(proc: ChildProcess, port: number, what: string): Promise<{ log(): string; stop(): Promise<void> }> {
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
