/**
 * A browser request's Origin is allowed when it is this server's own (same host and port as the
 * request's Host) or in the allowlist. No Origin (not a browser page) is allowed: the token
 * still decides.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowlist: readonly string[]): boolean {
  if (!origin) return true;
  if (allowlist.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
