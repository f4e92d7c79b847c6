import type { LockBackend } from '../contract/lock-backend.js';
import type { LockMode } from '../contract/read-write-locks.js';
import type { MonotonicClock } from './clock.js';
import type { Duration } from './duration.js';

/** Options of one lock, given to `acquire`, `tryAcquire`, `using` and `@Locked`. */
export interface LockOptions {
  /**
   * Lease time to live, in milliseconds or as a duration string (`'30s'`): how long the lock
   * survives its holder's death. While the lock is held it is renewed automatically, so this is not
   * a limit on how long you may hold it. From 1 ms to 2^31 − 1 ms. Default: the module's
   * `defaults.ttl` (30 000).
   */
  ttl?: Duration;
  /**
   * How long to wait for a busy lock, in milliseconds or as a duration string (`'5s'`): `0` makes
   * one attempt, `Infinity` waits until `signal` aborts. Waiters are woken by the store when the
   * lock is released and fall back to jittered backoff. Default: the module's `defaults.wait` (0).
   */
  wait?: Duration;
  /**
   * Renew the lease in the background while it is held (default `true`). With `false` the lease
   * simply expires after `ttl` unless you call `lock.extend()`, and its `signal` aborts then.
   */
  autoRenew?: boolean;
  /** Cancels waiting for the lock; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Serve waiters in turn (default: the module's `defaults.fair`, `false`). Waiters queue per key in
   * the store, and a release hands the lock straight to the longest waiting live one, so nobody is
   * starved and nobody polls. A waiter that crashed is skipped after a short ticket lease (3 s); a
   * `tryAcquire` never jumps the queue. Not with `permits` above 1 or several keys; not on the
   * Redlock backend.
   */
  fair?: boolean;
  /**
   * Make the key a semaphore: up to `permits` holders at once (default 1, a mutex), each with its
   * own lease, renewal, owner token and fencing token, expiring by the store's clock. Every caller
   * of one key must pass the same number. From 1 to 1 000 000; not with several keys.
   */
  permits?: number;
  /**
   * Make the key a read-write lock: `'read'` holds are shared by any number of holders, a
   * `'write'` hold excludes everyone. Once a writer waits, readers arriving after it wait behind it
   * (a writer is never starved by a stream of reads), and the readers that queued behind a writer
   * all enter together when it leaves; with `fair`, writers too enter in strict arrival order.
   * Every hold is its own lease with renewal, owner token and fencing token, and a writer's token
   * is above that of every read before it.
   *
   * Without `mode` a lock is the plain exclusive lock, which also excludes readers of the key but
   * waits without a writer's priority: on a key that is read with `mode: 'read'`, write with
   * `mode: 'write'`. In one call chain a read may be taken inside a write hold of the key (it
   * re-enters the write); a write inside a read hold is refused at once with
   * `LockUpgradeError`. Not with `permits` above 1 or several keys; not on the Redlock backend.
   */
  mode?: LockMode;
}

/** Options of `share()` and of `@Locked({ onBusy: 'share' })`. */
export interface ShareOptions {
  /** Lease time to live of the running caller's lock, as {@link LockOptions.ttl}. */
  ttl?: Duration;
  /**
   * How long a caller waits for a run in progress elsewhere (or for its turn to run), in ms or as
   * a duration string; it then rejects with `LockNotAcquiredError`. Default 60 000 (`'60s'`).
   */
  wait?: Duration;
  /** Cancels waiting; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Reuse a successful result for callers that arrive up to this long after its run completed,
   * instead of running again (a short cache). Failures are shared only with the callers that
   * waited for the run. Default 0: callers arriving after a run completed start a new one.
   */
  shareFor?: Duration;
  /**
   * The largest result, as bytes of JSON, that may travel through the store. A larger one fails
   * every caller of the run with `ResultNotShareableError`. Default 1 048 576 (1 MiB).
   */
  maxResultBytes?: number;
}

/** Module- or manager-wide defaults for {@link LockOptions}. */
export interface LockDefaults {
  /** Default lease time to live, in ms or as a duration string. Default 30 000 (`'30s'`). */
  ttl?: Duration;
  /** Default time to wait for a busy lock, in ms or as a duration string. Default 0 (one attempt). */
  wait?: Duration;
  /**
   * Make every lock fair unless it says otherwise (see {@link LockOptions.fair}); semaphores and
   * multi-key locks, which cannot be fair, are left as they are. Default `false`.
   */
  fair?: boolean;
}

/** {@link LockDefaults} after validation, in milliseconds. */
export interface ResolvedLockDefaults {
  readonly ttl: number;
  readonly wait: number;
  readonly fair: boolean;
}

/** Options of `new LockManager()`. */
export interface LockManagerOptions {
  /** The store: `new RedisLockBackend(...)`, `new MemoryLockBackend()`, ... */
  backend: LockBackend;
  /** Prepended to every key in the store, so several apps can share one. Default `'locker:'`. */
  keyPrefix?: string;
  /** Defaults for every lock of this manager. */
  defaults?: LockDefaults;
  /**
   * Detect deadlocks between call chains (see `LockDeadlockError`): a chain that holds locks and
   * waits for another publishes its wait to the store, and the wait that closes a cycle gives way.
   * Default: on where the backend offers it (`backend.waits`: memory, Redis on one server or
   * Sentinel, Postgres). `true` on a backend without it is refused; `false` turns it off.
   */
  detectDeadlocks?: boolean;
  /**
   * This instance's id, the start of every owner token it makes, so that the lock dashboard can
   * tell which instance holds each lease. Letters, digits and `_`, 1 to 64 of them. Default: 12
   * random hex characters, new for each manager.
   */
  instanceId?: string;
  /**
   * Keep a record of this instance in the store (what it holds, waits for, its recent lost leases
   * and cron ticks) for the lock dashboard, on a backend with the `directory` capability; ignored
   * on one without. Default off for `new LockManager()`; `LockModule` turns it on.
   */
  presence?: boolean | PresenceOptions;
  /**
   * The clock local deadlines, renewals and waits are measured and scheduled on. Tests only: pass
   * a `ManualClock` from `nestjs-locker/testing` to drive time by hand.
   */
  clock?: MonotonicClock;
}

/** Options of an instance's record in the store (`LockManagerOptions.presence`). */
export interface PresenceOptions {
  /** The app's name shown on the dashboard. Default: `npm_package_name`, else `'app'`. */
  appName?: string;
  /** How often the record is written, in ms or as a duration string; it is kept three times as long. Default `'2s'`. */
  interval?: Duration;
}

/** {@link LockOptions} after defaults and validation, in the units the internals use. */
export interface ResolvedLockOptions {
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly autoRenew: boolean;
  readonly signal: AbortSignal | undefined;
  /** `true` (asked for), `false` (refused) or `undefined` (the default decides). */
  readonly fair: boolean | undefined;
  readonly permits: number;
  /** `undefined` for a plain lock. */
  readonly mode: LockMode | undefined;
}
