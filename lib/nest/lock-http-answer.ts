import {
  LockBackendError,
  LockDeadlockError,
  LockLostError,
  LockManagerClosedError,
  LockNotAcquiredError,
} from '../contract/errors.js';

/** The JSON body of an HTTP answer to a lock error: Nest's usual shape plus the error's `code`. */
export interface LockErrorBody {
  readonly statusCode: number;
  readonly message: string;
  /** The status's reason phrase, as Nest's built-in exceptions give it. */
  readonly error: string;
  /** The {@link LockError} code: `LOCK_NOT_ACQUIRED`, `LOCK_LOST`, `LOCK_BACKEND_ERROR` ... */
  readonly errorCode: string;
}

/**
 * What to answer an HTTP request that failed with a lock error.
 *
 * @example
 * ```ts
 * const answer = lockErrorResponse(error); // { status: 409, headers: { 'Retry-After': '3' }, body }
 * ```
 */
export interface LockHttpAnswer {
  readonly status: number;
  /** `Retry-After` (whole seconds) where retrying later can succeed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: LockErrorBody;
}

/**
 * The lock errors a request can meet at run time, answered the same way wherever the lock was
 * taken (a controller's or a service's `@Locked()`, `LockService.acquire()` or `using()`):
 *
 * - {@link LockNotAcquiredError}: 409 Conflict, `Retry-After` = the holder's remaining lease in
 *   whole seconds, rounded up (1 when the store could not say: the lease had just ended).
 * - {@link LockLostError}: 409 Conflict (the lease ran out or was taken over mid-request); 503 with
 *   `Retry-After: 1` when it was lost because this instance is shutting down.
 * - {@link LockDeadlockError}: 409 Conflict, `Retry-After: 1` (this request gave way to break a
 *   cycle of waits; retried from the top, it usually succeeds).
 * - {@link LockManagerClosedError}: 503 with `Retry-After: 1` (this instance is shutting down;
 *   another one can serve the retry).
 * - {@link LockBackendError}: 503, with a message that does not reveal the store's address.
 *
 * Any other value (including `InvalidLockOptionsError`, a bug to fix rather than a state to
 * report) gives `undefined`: leave it to the app's other filters.
 *
 * @example
 * ```ts
 * @Catch()
 * export class AllErrorsFilter implements ExceptionFilter {
 *   catch(error: unknown, host: ArgumentsHost) {
 *     const reply = host.switchToHttp().getResponse<Response>();
 *     const answer = lockErrorResponse(error);
 *     if (answer) return reply.status(answer.status).set(answer.headers).json(answer.body);
 *     reply.status(500).json({ statusCode: 500, message: 'Internal server error' });
 *   }
 * }
 * ```
 */
export function lockErrorResponse(error: unknown): LockHttpAnswer | undefined {
  if (error instanceof LockNotAcquiredError) {
    return answer(409, error.message, error.code, error.retryAfterSeconds ?? 1);
  }
  if (error instanceof LockLostError) {
    return error.reason === 'closed'
      ? answer(503, 'The service is shutting down', error.code, 1)
      : answer(409, error.message, error.code);
  }
  if (error instanceof LockDeadlockError) {
    // The request gave way to break a cycle of waits: a retry from the top usually succeeds.
    return answer(409, error.message, error.code, 1);
  }
  if (error instanceof LockManagerClosedError) {
    return answer(503, 'The service is shutting down', error.code, 1);
  }
  if (error instanceof LockBackendError) {
    // The message names the store's host and the driver's error: for the log, not the client.
    return answer(503, 'The lock store is unavailable', error.code);
  }
  return undefined;
}

const REASON: Record<number, string> = { 409: 'Conflict', 503: 'Service Unavailable' };

function answer(
  status: number,
  message: string,
  errorCode: string,
  retryAfterSeconds?: number,
): LockHttpAnswer {
  return {
    status,
    headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
    body: { statusCode: status, message, error: REASON[status]!, errorCode },
  };
}
