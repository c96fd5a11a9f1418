import { DomainError } from '../common/domain-error';

/**
 * Applied only to promises returned by mediasoup calls made on a client's behalf: mediasoup
 * validates deeply, and the worker refuses requests that do not fit the object's state
 * (e.g. connect() twice). Those are the client's errors, translated to our codes.
 */
export function mapMediaError(err: unknown): never {
  if (err instanceof DomainError) throw err;
  if (err instanceof TypeError || (err as Error)?.name === 'UnsupportedError') throw new DomainError('VALIDATION_FAILED', (err as Error).message);
  if (err instanceof Error) throw new DomainError('INVALID_STATE', err.message);
  throw err;
}
