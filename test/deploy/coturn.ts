import { spawn } from 'node:child_process';
import { watchTurnserver } from '../support/turn';
import { run } from './podman';

export interface Coturn {
  port: number;
  args: string[];
  log(): string;
  stop(): Promise<void>;
}

/**
 * Debian's coturn started with the compose file's own coturn command (docker/compose.yaml,
 * read through compose-env.py), so its peer restrictions are the ones a deployment runs.
 * Changed for this host only: free ports instead of 3478/5349 and the relay range, loopback
 * as the listening and relay address (which coturn refuses as a peer unless told).
 */
export async function startComposeCoturn(opts: { secret: string; announcedAddress: string; port: number; tlsPort: number; relayMin: number; relayMax: number }): Promise<Coturn> {
  const r = await run('python3', [
    'scripts/deploy/compose-env.py',
    '--env-file', 'docker/.env.example',
    '--set', `TURN_SECRET=${opts.secret}`,
    '--set', `MEDIASOUP_ANNOUNCED_ADDRESS=${opts.announcedAddress}`,
    '--set', `TURN_MIN_PORT=${opts.relayMin}`,
    '--set', `TURN_MAX_PORT=${opts.relayMax}`,
    '--set', 'JWT_SECRET=unused', '--set', 'POSTGRES_PASSWORD=unused',
    '--command', 'coturn',
  ]);
  if (r.code !== 0) throw new Error(`compose-env.py --command coturn failed:\n${r.stderr}`);
  const composeArgs = r.stdout.split('\n').filter(Boolean);
  const args = [
    '-n', // the compose file's arguments only, not this host's /etc/turnserver.conf
    ...composeArgs.map((a) =>
      a.startsWith('--listening-port=') ? `--listening-port=${opts.port}` : a.startsWith('--tls-listening-port=') ? `--tls-listening-port=${opts.tlsPort}` : a,
    ),
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    '--allow-loopback-peers',
    `--pidfile=/tmp/hearth-deploy-turn-${opts.port}.pid`,
  ];
  const proc = spawn(process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { log, stop } = await watchTurnserver(proc, opts.port, `turnserver with the compose arguments (${args.join(' ')})`);
  return {
    port: opts.port,
    args,
    log,
    stop,
  };
}
