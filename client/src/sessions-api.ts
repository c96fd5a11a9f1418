import type { GuestTokenRequest, GuestTokenResponse, InviteRequest, InviteResponse, Json, ScheduleSessionRequest, SessionView } from '../../src/signaling/catalogue';
import { ServerError, httpError } from './errors';

/** A scheduled session as the sessions API returns it (dates as ISO strings); `inviteUrl` only when scheduling. */
export type SessionSummary = Json<SessionView> & { inviteUrl?: string };

/** `POST /api/sessions`: what the Schedule form sends (the contract's request body). */
export type ScheduleInput = ScheduleSessionRequest;

export type GuestToken = Json<GuestTokenResponse>;

async function send<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ServerError('NETWORK', `could not reach the server (${String(err)})`);
  }
  const data = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) throw httpError(res, data, `${method} ${path} failed`);
  return data as T;
}

/** The sessions REST API: scheduling and listing with the host's bearer token, invite exchange without one. */
export const sessionsApi = {
  schedule: (token: string, input: ScheduleInput) => send<SessionSummary>('POST', '/api/sessions', token, input),
  list: (token: string) => send<SessionSummary[]>('GET', '/api/sessions', token),
  /** A new shared invite link for a session listed without one. */
  invite: (token: string, sessionId: string, body: InviteRequest = {}) => send<Json<InviteResponse>>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/invites`, token, body),
  guestToken: (sessionId: string, invite: string, name: string) =>
    send<GuestToken>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/guest-token`, null, { invite, name } satisfies GuestTokenRequest),
};

const GUEST_KEY = 'hearth.guest';

/** What an exchanged invite gave this tab: kept for a reload (the invite itself is gone from the address bar, and may admit one exchange only). */
export interface StoredGuest {
  sessionId: string;
  token: string;
  userId: string;
  callId: string;
}

/** The invite link this page was opened from (`?session=&invite=`), or the guest identity this tab already exchanged it for. */
export function inviteFromLocation(search = window.location.search): { sessionId: string; invite: string | null } | null {
  const q = new URLSearchParams(search);
  const sessionId = q.get('session');
  const invite = q.get('invite');
  if (sessionId && invite) return { sessionId, invite };
  return sessionId && storedGuest(sessionId) ? { sessionId, invite: null } : null;
}

export function storedGuest(sessionId: string): StoredGuest | null {
  try {
    const g = JSON.parse(sessionStorage.getItem(GUEST_KEY) ?? 'null') as StoredGuest | null;
    return g?.sessionId === sessionId ? g : null;
  } catch {
    return null;
  }
}

/** Exchanged: the guest token stays with this tab, and the invite leaves the address bar and the history entry. */
export function keepGuest(g: StoredGuest): void {
  sessionStorage.setItem(GUEST_KEY, JSON.stringify(g));
  window.history.replaceState(null, '', `${window.location.pathname}?session=${encodeURIComponent(g.sessionId)}`);
}

export function forgetGuest(): void {
  sessionStorage.removeItem(GUEST_KEY);
}
