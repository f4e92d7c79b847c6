import { LockBackendError } from '../../contract/errors.js';

/** The backend's name in its errors. */
export const BACKEND_NAME = 'postgres';

/** Postgres error codes of a missing function and a missing table. */
const UNDEFINED_OBJECT_CODES = new Set(['42883', '42P01']);

/** Problems the backend found itself, before it knew which operation and key they belong to. */
const unplaced = new WeakSet<LockBackendError>();

/**
 * A failure the backend's own code found (a reply of the wrong shape, a missing table) while
 * `step` ran, as a `LockBackendError` that {@link backendError} later places: it then reads as the
 * failure of the operation and key it happened in, with `problem` as its cause.
 *
 * @example
 * ```ts
 * throw backendProblem('check the lease table', 'the lease table does not exist');
 * ```
 */
export function backendProblem(step: string, problem: string): LockBackendError {
  const error = new LockBackendError(BACKEND_NAME, step, undefined, problem);
  unplaced.add(error);
  return error;
}

/**
 * `error` as the `LockBackendError` of `operation` on `key`. A missing function or table gets the
 * hint to run the DDL again (the shapes on a table an older version made, with `createTable:
 * false`); a `LockBackendError` already placed is kept as it is.
 *
 * @example
 * ```ts
 * catch (error) { throw backendError('acquire', key, error); }
 * ```
 */
export function backendError(
  operation: string,
  key: string | undefined,
  error: unknown,
): LockBackendError {
  if (error instanceof LockBackendError) {
    return unplaced.has(error)
      ? new LockBackendError(BACKEND_NAME, operation, key, error.cause)
      : error;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNDEFINED_OBJECT_CODES.has(code)) {
    return new LockBackendError(
      BACKEND_NAME,
      operation,
      key,
      `${(error as Error).message}: run the DDL of sql/nestjs-locker.sql (or PostgresLockBackend.createTableSql()) again, it adds what fair locks, semaphores, multi-key and read-write locks, deadlock detection, shared results and the directory need`,
    );
  }
  return new LockBackendError(BACKEND_NAME, operation, key, error);
}
