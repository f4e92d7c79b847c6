import { LockBackendError } from '../contract/errors.js';

/** `error` as the `LockBackendError` of `backend`'s `operation` on `key`, unless it is one already. */
export function asBackendError(
  backend: string,
  operation: string,
  key: string | undefined,
  error: unknown,
): LockBackendError {
  if (error instanceof LockBackendError) return error;
  return new LockBackendError(backend, operation, key, error);
}
