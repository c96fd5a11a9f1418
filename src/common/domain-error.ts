import type { ErrorCode } from './error-codes';

/** The one error type services throw. Edges translate it; anything else becomes INTERNAL. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'Not allowed') => new DomainError('FORBIDDEN', message);
export const invalidState = (message: string) => new DomainError('INVALID_STATE', message);
