import type { MeResponse } from '../../src/signaling/catalogue';
import { ServerError, errorCode, httpError } from './errors';

const STORAGE_KEY = 'hearth.token';

/**
 * A sign-in token handed over by the embedding app as `#token=<jwt>` (a fragment never reaches
 * a server or its logs). It is taken out of the address bar at once and kept for this tab only,
 * so a reload stays signed in and a copied link carries no credential.
 */
export function takeHandedToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(STORAGE_KEY, decodeURIComponent(match[1]));
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

export function forgetHandedToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** After a failed sign-in with the handed-over token: a refused token is forgotten; an outage keeps it for a retry. */
export function forgetIfRefused(err: unknown): void {
  if (errorCode(err) === 'UNAUTHORIZED') forgetHandedToken();
}

/** GET /api/me: who the token names, as the server reads it (identity providers map claims their own way). */
export async function whoAmI(token: string): Promise<MeResponse> {
  let res: Response;
  try {
    res = await fetch('/api/me', { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new ServerError('NETWORK', `could not reach the server (${String(err)})`);
  }
  const body = (await res.json().catch(() => ({}))) as MeResponse;
  if (!res.ok) throw httpError(res, body, 'the sign-in token was refused');
  return body;
}

/** Said when the dev token route is off (production, or a server reachable from other machines). */
export const NO_DEV_TOKENS =
  'This server hands out no development tokens. Sign in through your organization\'s app, which opens this page as …/#token=<token>.';
