import { libraryWarnings } from '../../contract/library-warnings.js';

/**
 * The default `onWarning` of the Redis and Redlock backends: a warning with code
 * `NESTJS_LOCKER_REDIS_CONFIG`, once per process for the same message, as a process warning or a
 * log line through Nest's `Logger` while a `LockModule` runs.
 *
 * @example
 * ```ts
 * const onWarning = options.onWarning ?? emitWarningOnce;
 * ```
 */
export function emitWarningOnce(message: string): void {
  libraryWarnings.emit(message, 'NESTJS_LOCKER_REDIS_CONFIG', { once: true });
}
