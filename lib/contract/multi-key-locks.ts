import type { AcquireResult, ExtendResult } from './lease.js';

/** One multi-key lease to extend, with the new time to live it should get. */
export interface MultiKeyLeaseToExtend {
  /** The lease's keys, as given to `acquire`. */
  readonly keys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
}

/**
 * Several keys taken together: all of them or none, atomically, by one owner with one fencing
 * token that is higher than every earlier token of each key. Each key then reads as a mutex lease
 * of that owner (`LockBackend.inspect`), and a release of any of them wakes its waiters.
 *
 * @example
 * ```ts
 * const result = await backend.multiKey.acquire(['locker:account:1', 'locker:account:2'], owner, 30_000);
 * ```
 */
export interface MultiKeyLocks {
  /** Takes every key of `keys` (sorted and distinct, two or more) for `owner`, or none of them. */
  acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult>;

  /**
   * Extends many multi-key leases, each as a whole: its new expiry when `owner` still holds every
   * key, `undefined` when it lost any of them. Answers as `LockBackend.extend` does.
   */
  extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]>;

  /** Releases every key of `keys` that `owner` holds; `true` when it held any. */
  release(keys: readonly string[], owner: string): Promise<boolean>;
}
