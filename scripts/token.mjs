#!/usr/bin/env node
// Mints a sign-in token (HS256, signed with JWT_SECRET) for small setups without an identity
// provider; prints it on stdout. Nothing but node:crypto, so it runs from a checkout or the image.
//
//   JWT_SECRET=... npm run token -- --sub alice --name "Alice Example" --role host [--ttl 3600]
//   npm run token -- --env-file docker/.env --sub ops --role admin
//
// Hand it to the sample client as https://your.host/#token=<token> (admin page: /admin.html#token=).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run token -- --sub <user id> [--name <display name>] [--role member|host|admin] [--ttl <seconds>] [--env-file <file>]';
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      sub: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'member' },
      ttl: { type: 'string', default: '3600' },
      'env-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

/** JWT_SECRET from the environment, or from a KEY=value env file (comments on their own lines). */
function secretFrom(envFile) {
  if (!envFile) return process.env.JWT_SECRET;
  const line = readFileSync(envFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('JWT_SECRET='));
  return line?.slice('JWT_SECRET='.length);
}

const secret = secretFrom(args['env-file']);
const ttl = Number(args.ttl);
const fail = (msg) => {
  console.error(`${msg}\n${usage}`);
  process.exit(2);
};
if (!secret) fail('JWT_SECRET is not set (environment or --env-file)');
if (!args.sub || args.sub.length > 128) fail('--sub is required (at most 128 characters)');
if (!['member', 'host', 'admin'].includes(args.role)) fail('--role must be member, host or admin');
if (!Number.isInteger(ttl) || ttl < 60 || ttl > 31 * 86400) fail('--ttl must be whole seconds between 60 and 2678400');

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const claims = { sub: args.sub, ...(args.name ? { name: args.name } : {}), role: args.role, iat: now, exp: now + ttl };
const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
process.stdout.write(`${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}\n`);
