import { spawn, type ChildProcess } from 'node:child_process';

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
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/UDP listener opened on/.test(log)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`turnserver did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    secret,
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
