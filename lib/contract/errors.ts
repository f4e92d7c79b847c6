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
  | 'LOCK_UPGRADE'
  | 'LOCK_DEADLOCK'
  | 'LOCK_SHARED_RUN_FAILED'
  | 'LOCK_RESULT_NOT_SHAREABLE';

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
 * Refuses the first own key of `options` that is not in `known` (a typo from plain JavaScript,
 * which no type check catches): an {@link InvalidLockOptionsError} naming it and listing `known`
 * as the options `of` (such as "LockDashboardModule.forRoot()").
 *
 * @throws {@link InvalidLockOptionsError}
 */
export function refuseUnknownOptions(
  options: object,
  known: ReadonlySet<string>,
  of: string,
): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    throw new InvalidLockOptionsError(
      key,
      `is not an option of ${of}; the options are ${[...known].join(', ')}`,
    );
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

/**
 * This call chain's wait closed a cycle of waits: it holds a lock that another chain waits for,
 * which (directly or through others) holds the key this one waits for. Of the chains of a cycle,
 * the one that started waiting last gets this error, and the others go on once it unwinds (its
 * locks are released as the error leaves their `using` blocks). Retrying the whole operation from
 * the top, holding nothing, usually succeeds.
 *
 * @example
 * ```ts
 * try {
 *   await transfer(from, to, amount); // @Locked('account:{0}') calling @Locked('account:{1}')
 * } catch (err) {
 *   if (err instanceof LockDeadlockError) return transfer(from, to, amount); // once more, from the top
 *   throw err;
 * }
 * ```
 */
export class LockDeadlockError extends LockError {
  readonly code = 'LOCK_DEADLOCK';

  constructor(
    /** The key this call waited for, as the caller gave it (without the key prefix). */
    readonly key: string,
    /**
     * The keys each wait of the cycle waited for, in cycle order from this call's, without the key
     * prefix: `['account:B', 'account:A']` when this call waited for B while another waited for A.
     */
    readonly cycle: readonly string[],
  ) {
    super(
      `Deadlock: waiting for "${key}" would never end; the waits ${cycle.map((k) => `"${k}"`).join(' -> ')} form a cycle, and this call, the last to wait, gives way`,
    );
  }
}

/**
 * A shared run (`share`, `@Locked({ onBusy: 'share' })`) that this call waited for failed; its
 * error, which the caller that ran it got as it was, reaches every caller that shared the run as
 * this, with the original's `name`, `code` and `message`.
 */
export class SharedRunFailedError extends LockError {
  readonly code = 'LOCK_SHARED_RUN_FAILED';

  constructor(
    readonly key: string,
    /** The `name` of the error the run threw, such as `"HttpException"`. */
    readonly originalName: string,
    /** Its `code` property, when it had a string or number one. */
    readonly originalCode: string | number | undefined,
    /** Its `message`. */
    readonly originalMessage: string,
  ) {
    super(
      `The shared run of "${key}" failed with ${originalName}${originalCode === undefined ? '' : ` (${originalCode})`}: ${originalMessage}`,
    );
  }
}

/**
 * A shared run's result cannot travel through the store: it is not JSON (a `BigInt`, a cycle, a
 * function) or its JSON is longer than the limit. Every caller of the run gets this, the one that
 * ran it included, so the problem shows on the first call.
 */
export class ResultNotShareableError extends LockError {
  readonly code = 'LOCK_RESULT_NOT_SHAREABLE';

  constructor(
    readonly key: string,
    /** What is wrong: "is 1 200 344 bytes of JSON, over the limit of 1 048 576". */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`The result of the shared run of "${key}" cannot be shared: it ${problem}`, options);
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
