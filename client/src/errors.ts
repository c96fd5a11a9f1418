/** A request the server refused (its error code), or TIMEOUT / NETWORK / HTTP_<status> for local failures. */
export class ServerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

export function errorCode(err: unknown): string {
  return err instanceof ServerError ? err.code : 'CLIENT_ERROR';
}

export function describeError(err: unknown): string {
  if (err instanceof ServerError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** The REST error body: `{ error: { code, message } }`. */
export type ErrorBody = { error?: { code?: string; message?: string } };

/** The ServerError for a failed REST response, from its `{ error: { code, message } }` body. */
export function httpError(res: Response, body: unknown, fallback: string): ServerError {
  const error = (body as ErrorBody | null)?.error;
  return new ServerError(error?.code ?? `HTTP_${res.status}`, error?.message ?? fallback);
}
