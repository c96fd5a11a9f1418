import type { GuestTokenResponse, Json, SessionView } from '../../src/signaling/catalogue';
import { ServerError, httpError } from './errors';

/** A scheduled session as the sessions API returns it (dates as ISO strings); `inviteUrl` only when scheduling. */
export type SessionSummary = Json<SessionView> & { inviteUrl?: string };

/**
 * `POST /api/sessions`: what the Schedule form sends, in the server's own session fields. The
 * server validates the body with `sessionInput` (src/sessions/session.service.ts), which is not
 * importable here; it also takes `hostIds` and `maxParticipants`, left to their defaults.
 */
export type ScheduleInput = Pick<Json<SessionView>, 'title' | 'startsAt' | 'durationMinutes' | 'lobby'>;

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
  invite: (token: string, sessionId: string) => send<{ inviteUrl: string }>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/invites`, token, {}),
  guestToken: (sessionId: string, invite: string, name: string) =>
    send<GuestToken>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/guest-token`, null, { invite, name }),
};

/** The `?session=<id>&invite=<token>` of an invite link opened in this page, or null. */
export function inviteFromLocation(search = window.location.search): { sessionId: string; invite: string } | null {
  const q = new URLSearchParams(search);
  const sessionId = q.get('session');
  const invite = q.get('invite');
  return sessionId && invite ? { sessionId, invite } : null;
}
