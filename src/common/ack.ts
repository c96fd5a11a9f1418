import type { ErrorCode } from './error-codes';
import { DomainError } from './domain-error';
import { isOutage } from './outage';

export type AckOk<T> = { ok: true; data: T };
export type AckError = { ok: false; error: { code: ErrorCode; message: string } & Record<string, unknown> };
export type Ack<T> = AckOk<T> | AckError;

export const ackOk = <T>(data: T): AckOk<T> => ({ ok: true, data });

/** Maps any thrown value to the wire error. Returns whether it was unexpected (to be logged). */
export function toAckError(err: unknown): { ack: AckError; unexpected: boolean } {
  if (err instanceof DomainError) {
    return { ack: { ok: false, error: { ...(err.details ?? {}), code: err.code, message: err.message } }, unexpected: false };
  }
  if (isOutage(err)) return { ack: { ok: false, error: { code: 'UNAVAILABLE', message: 'A part of the service is unavailable right now; try again shortly' } }, unexpected: false };
  return { ack: { ok: false, error: { code: 'INTERNAL', message: 'Internal server error' } }, unexpected: true };
}
