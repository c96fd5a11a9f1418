#!/usr/bin/env node
// Purges call logs, session guests, quality samples and operator audit entries older than their
// retention settings, on the database the server uses; prints rows per kind. The server does
// the same daily; this is for a purge now, or a look first:
//
//   npm run purge -- --dry-run                 # counts what would go, deletes nothing
//   npm run purge -- --env-file docker/.env    # settings from an env file (the environment wins)
//   docker compose -f docker/compose.yaml exec gateway node scripts/purge.mjs --dry-run
//
// Runs the built server code (dist/); `npm run purge` builds it first.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const built = new URL('../dist/retention/purge-command.js', import.meta.url);
if (!existsSync(built)) {
  console.error('dist/ is not built: run npm run build:server (npm run purge does)');
  process.exit(2);
}
const { purgeCommand } = createRequire(import.meta.url)(built.pathname);
process.exitCode = await purgeCommand(process.argv.slice(2));
