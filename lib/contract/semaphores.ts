import type { AcquireResult, ExtendResult, LeaseToExtend } from './lease.js';

/**
 * Semaphores: at most `permits` holders of a key at once, each with its own lease, owner check and
 * fencing token. `LockBackend.inspect` reports a semaphore key with the number of live holders.
 *
 * @example
 * ```ts
 * const result = await backend.semaphore.acquire('locker:partner-api', owner, 30_000, 4);
 * ```
 */
export interface Semaphores {
  /**
   * Takes one of `permits` permits of `key` for `owner` (from 2 up, the same for every holder of
   * the key). Idempotent for an owner that already holds a permit of `key`.
   */
  acquire(key: string, owner: string, ttlMs: number, permits: number): Promise<AcquireResult>;

  /**
   * Extends many permits at once, each only if `owner` still holds it; answers as
   * `LockBackend.extend` does, in the order of `leases`.
   */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]>;

  /** Gives back `owner`'s permit of `key` and wakes the key's waiters; `true` when it held one. */
  release(key: string, owner: string): Promise<boolean>;
}
