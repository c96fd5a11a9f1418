import { ServerError, httpError } from './errors';
import { NO_DEV_TOKENS } from './handed-token';

export type DevRole = 'member' | 'host' | 'admin';

/** POST /api/dev/token (development servers only): a token for anyone, with an optional role. */
export async function fetchDevToken(userId: string, name: string, role?: DevRole): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/api/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, name, ...(role ? { role } : {}) }),
    });
  } catch (err) {
    throw new ServerError('NETWORK', `could not reach the server (${String(err)})`);
  }
  // The route does not exist where dev tokens are off: say how to sign in instead.
  if (res.status === 404) throw new ServerError('NO_DEV_TOKENS', NO_DEV_TOKENS);
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  if (!res.ok || !body.token) throw httpError(res, body, 'could not get a token');
  return body.token;
}
