/** Every error code a client can see in an ack or a REST error body (PROTOCOL.md). */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'USER_BUSY',
  'USER_OFFLINE',
  'ALREADY_IN_CALL',
  'INVALID_STATE',
  'RATE_LIMITED',
  /** A part the request needs (an identity provider, a database, a node) is down right now; retry later. */
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status for each code; exhaustive so a new code cannot be forgotten. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_BUSY: 409,
  USER_OFFLINE: 409,
  ALREADY_IN_CALL: 409,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
