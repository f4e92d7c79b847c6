/**
 * Every failure the library reports is one of these classes, each with a stable `code` that is safe
 * to match on (messages may improve between versions, codes do not).
 */

/** The stable codes of {@link LockError} subclasses. */
export type LockErrorCode =
  | 'LOCK_NOT_ACQUIRED'
  | 'LOCK_LOST'
  | 'LOCK_BACKEND_ERROR'
  | 'INVALID_LOCK_OPTIONS'
  | 'LOCK_MANAGER_CLOSED'
  | 'LOCK_MODULE_NOT_READY'
  | 'LOCK_UPGRADE';

/** The base class of every error this library throws. */
export abstract class LockError extends Error {
  /** A stable, machine-readable identifier of the failure kind. */
  abstract readonly code: LockErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The lock is held by someone else and did not free up within `wait`.
 *
 * @example
 * ```ts
 * try {
 *   await locks.acquire('order:42', { wait: 2_000 });
 * } catch (err) {
 *   if (err instanceof LockNotAcquiredError) res.setHeader('Retry-After', err.retryAfterSeconds ?? 1);
 * }
 * ```
 */
export class LockNotAcquiredError extends LockError {
  readonly code = 'LOCK_NOT_ACQUIRED';

  constructor(
    /** The key, as the caller gave it (without the key prefix). */
    readonly key: string,
    /** How long until the current lease runs out, in ms, when the store said so. */
    readonly retryAfterMs: number | undefined,
    /** How long this call waited, in ms. */
    readonly waitedMs: number,
  ) {
    super(
      `Lock "${key}" is held by another owner` +
        (waitedMs > 0 ? ` (waited ${waitedMs} ms)` : '') +
        (retryAfterMs === undefined ? '' : `; it frees in at most ${retryAfterMs} ms`),
    );
  }

  /** {@link retryAfterMs} rounded up to whole seconds, as an HTTP `Retry-After` header wants it. */
  get retryAfterSeconds(): number | undefined {
    return this.retryAfterMs === undefined
      ? undefined
      : Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }
}

/** Why a held lease was lost. */
export type LockLostReason =
  /** The store no longer has this owner's lease: it expired there, or another owner took it. */
  | 'not-held'
  /** Renewal could not reach the store before the lease's deadline passed. */
  | 'expired'
  /** The lock was released by its holder before this operation. */
  | 'released'
  /** The lock manager (or the Nest application) was closed while the lock was held. */
  | 'closed';

const LOST_BECAUSE: Record<LockLostReason, string> = {
  'not-held': 'is no longer held: it expired or was taken over',
  expired: 'expired before it could be renewed',
  released: 'was already released',
  closed: 'was released because the lock manager closed',
};

/**
 * A lease this process held is no longer valid. It is the `reason` of the lock's aborted
 * `AbortSignal`, and what `extend()` throws on a lease that is gone.
 */
export class LockLostError extends LockError {
  readonly code = 'LOCK_LOST';

  constructor(
    readonly key: string,
    readonly fencingToken: bigint,
    readonly reason: LockLostReason,
    options?: { cause?: unknown },
  ) {
    super(`Lock "${key}" (fencing token ${fencingToken}) ${LOST_BECAUSE[reason]}`, options);
  }
}

/**
 * The store failed: unreachable, timed out, or it answered with an error. The outcome of the
 * operation is unknown; `cause` holds the underlying error.
 */
export class LockBackendError extends LockError {
  readonly code = 'LOCK_BACKEND_ERROR';

  constructor(
    /** The backend's name, such as `"redis"`. */
    readonly backend: string,
    /** The operation that failed: `acquire`, `extend`, `release`, `inspect`, `subscribe` ... */
    readonly operation: string,
    /** The key involved, when one is. */
    readonly key: string | undefined,
    cause: unknown,
  ) {
    super(
      `${backend} backend failed to ${operation}${key === undefined ? '' : ` "${key}"`}: ${describe(cause)}`,
      { cause },
    );
  }
}

/** An option or argument is invalid. Names the field and, where known, where it was given. */
export class InvalidLockOptionsError extends LockError {
  readonly code = 'INVALID_LOCK_OPTIONS';

  constructor(
    /** The option's name, such as `ttl` or `key`. */
    readonly field: string,
    /** What is wrong, as a sentence fragment: "must be a positive whole number of ms, got -5". */
    readonly problem: string,
    /** Where the option was given, such as `OrderService.charge`, when known. */
    readonly where?: string,
  ) {
    super(`Invalid lock option "${field}"${where ? ` in ${where}` : ''}: ${problem}`);
  }
}

/**
 * A call chain that holds a read lock of a key asked for it exclusively (`mode: 'write'`, or a
 * plain lock). It would wait for its own read forever, the upgrade deadlock, so it is refused at
 * once. Take the lock for writing from the start, or release the read first.
 *
 * @example
 * ```ts
 * await locks.using('catalog', async () => {
 *   await locks.using('catalog', rebuild, { mode: 'write' }); // rejects with LockUpgradeError
 * }, { mode: 'read' });
 * ```
 */
export class LockUpgradeError extends LockError {
  readonly code = 'LOCK_UPGRADE';

  constructor(readonly key: string) {
    super(
      `Cannot lock "${key}" for writing: this call chain holds it for reading, and a read lock cannot be upgraded (it would wait for itself). Take it with mode 'write' from the start, or release the read first`,
    );
  }
}

/** The manager (or module) was closed; it takes no new locks. */
export class LockManagerClosedError extends LockError {
  readonly code = 'LOCK_MANAGER_CLOSED';

  constructor(readonly key: string) {
    super(`Cannot lock "${key}": the lock manager is closed (the application is shutting down)`);
  }
}

/** A `@Locked()` or `@SingletonCron()` method ran where no `LockModule` could run it. */
export class LockModuleNotReadyError extends LockError {
  readonly code = 'LOCK_MODULE_NOT_READY';

  constructor(
    /** `ClassName.methodName`. */
    readonly where: string,
    modulesRunning: number,
  ) {
    super(
      modulesRunning === 0
        ? `${where} was called before LockModule was initialised (or after it shut down): import LockModule.forRoot() in your root module and call it after app.init()`
        : `${where} was called on an instance that no LockModule discovered, and ${modulesRunning} applications are running: get the instance from the application (app.get(...)) instead of creating it with new`,
    );
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}

/**
 * `error` as the {@link LockBackendError} of `backend`'s `operation` on `key` (`undefined` for
 * several keys), or `error` itself when it is one already: the one wrapping the manager and the
 * backends share.
 */
export function asBackendError(
  backend: string,
  operation: string,
  key: string | undefined,
  error: unknown,
): LockBackendError {
  if (error instanceof LockBackendError) return error;
  return new LockBackendError(backend, operation, key, error);
}
