import type { LockBackend } from '../backends/lock-backend.js';
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
}

/** Module- or manager-wide defaults for {@link LockOptions}. */
export interface LockDefaults {
  /** Default lease time to live, in ms or as a duration string. Default 30 000 (`'30s'`). */
  ttl?: Duration;
  /** Default time to wait for a busy lock, in ms or as a duration string. Default 0 (one attempt). */
  wait?: Duration;
}

/** {@link LockDefaults} after validation, in milliseconds. */
export interface ResolvedLockDefaults {
  readonly ttl: number;
  readonly wait: number;
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
   * The clock local deadlines, renewals and waits are measured and scheduled on. Tests only: pass
   * a `ManualClock` from `nestjs-locker/testing` to drive time by hand.
   */
  clock?: MonotonicClock;
}

/** {@link LockOptions} after defaults and validation, in the units the internals use. */
export interface ResolvedLockOptions {
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly autoRenew: boolean;
  readonly signal: AbortSignal | undefined;
}
