import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  const url = await app.getUrl();
  process.stdout.write(`hearth-sfu listening on ${url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost')}\n`);
  // A rejected promise nobody awaited is a bug to log, not a reason to drop every call.
  process.on('unhandledRejection', (reason: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), msg: 'unhandled rejection (kept serving)', err: reason instanceof Error ? reason.message : String(reason) })}\n`);
  });
  // Graceful stop: calls end, sessions stay resumable, owed writes get a last try, workers and
  // the embedded database close; then exit 0. At SHUTDOWN_DEADLINE_SECONDS, or on a second
  // signal, exit at once (1).
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        process.stderr.write(`second ${signal}: exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      setTimeout(() => {
        process.stderr.write(`shutdown took longer than SHUTDOWN_DEADLINE_SECONDS=${config.SHUTDOWN_DEADLINE_SECONDS}: exiting now\n`);
        process.exit(1);
      }, config.SHUTDOWN_DEADLINE_SECONDS * 1000).unref();
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
