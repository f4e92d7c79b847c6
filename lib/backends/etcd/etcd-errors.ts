import { asBackendError, LockBackendError } from '../../contract/errors.js';
import { StoreTimeoutError } from '../shared/with-timeout.js';

/**
 * A failure of the etcd client, its message led by what failed: the gRPC status the `etcd3`
 * client cast it to (`GRPCUnavailableError`, `GRPCDeadlineExceededError` ...) or the etcd error
 * (`EtcdLeaseInvalidError`, `etcdserver: request timed out` ...). The original is its `cause`.
 */
export class EtcdCallError extends Error {
  constructor(original: Error) {
    const kind = original.constructor?.name ?? original.name;
    super(`${kind}: ${original.message}`, { cause: original });
    this.name = 'EtcdCallError';
  }
}

/** An answer of a shape the backend does not expect (a bug, or a protocol it does not speak). */
export class EtcdReplyError extends Error {
  constructor(what: string) {
    super(`unexpected etcd reply: ${what}`);
    this.name = 'EtcdReplyError';
  }
}

/** `error` as the `LockBackendError` of the etcd backend's `operation` on `key`. */
export function etcdError(
  operation: string,
  key: string | undefined,
  error: unknown,
): LockBackendError {
  if (error instanceof LockBackendError) return error;
  const cause =
    error instanceof Error &&
    !(error instanceof StoreTimeoutError) &&
    !(error instanceof EtcdReplyError) &&
    !(error instanceof EtcdCallError) &&
    error.constructor !== Error
      ? new EtcdCallError(error)
      : error;
  return asBackendError('etcd', operation, key, cause);
}
