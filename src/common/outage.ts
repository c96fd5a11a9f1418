/**
 * Errors that mean "a part this request needs is down right now" (PostgreSQL or Redis
 * unreachable, a connection cut, a timeout waiting for one): answered UNAVAILABLE, never
 * INTERNAL. Read by code and message only, so common/ imports no driver.
 */
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '57014']);
const OUTAGE_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Connection is closed/i, /connect ECONNREFUSED/i, /Query read timeout/i, /Stream isn't writeable/i, /max retries per request/i, /canceling statement due to statement timeout/i];

export function isOutage(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown };
  if (typeof e.code === 'string' && OUTAGE_CODES.has(e.code)) return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && OUTAGE_MESSAGES.some((m) => m.test(e.message as string))) return true;
  return e.driverError ? isOutage(e.driverError) : false;
}
