import type { AcquireResult } from './lease.js';

/** How a fair acquire queues. */
export interface FairAcquireOptions {
  /** How long a waiter's ticket lives without a new attempt, in ms. */
  readonly ticketTtlMs: number;
  /**
   * When the key is busy, take (or keep) a place in its queue. `false` for a single attempt
   * (`tryAcquire`), which must leave no ticket behind.
   */
  readonly join: boolean;
}

/**
 * Fair locks: waiters queue per key in the store and a release hands the lease straight to the head
 * of the queue. A waiter's place is a ticket with a short lease of its own, refreshed by every
 * attempt it makes; a waiter that stops refreshing (it died) is skipped once its ticket expires.
 *
 * A fair lease, once granted, is a mutex lease: it is extended with `LockBackend.extend`,
 * reported by `LockBackend.inspect`, and its hand-offs arrive through
 * `LockBackend.subscribe`. A key is either fair or not for all its users.
 *
 * @example
 * ```ts
 * const result = await backend.fair.acquire('locker:report', owner, 30_000, { ticketTtlMs: 3_000, join: true });
 * ```
 */
export interface FairLocks {
  /**
   * Takes `key` when it is free and nobody is queued ahead of `owner`; otherwise (with `join`) takes
   * or keeps `owner`'s place in the queue. Idempotent like `LockBackend.acquire`, and an owner
   * the lease was handed to gets it here.
   */
  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
  ): Promise<AcquireResult>;

  /**
   * Releases `key` if `owner` holds it and hands it to the head of the queue; also how a waiter
   * leaves the queue (its ticket is dropped, and when the key is free, the next waiter gets it).
   * Resolves `true` when this call released the lease.
   */
  release(key: string, owner: string): Promise<boolean>;
}
