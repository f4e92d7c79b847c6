/**
 * The values every lock store exchanges with the manager, whatever kind of lease: what an acquire
 * answers, what to extend and what an extend answers, what inspect reports, and what a release
 * hands to waiters. Every duration is in milliseconds; every instant is Unix epoch milliseconds of
 * the store's own clock.
 */

import type { LockBackendError } from './errors.js';

/** A lease granted by {@link LockBackend.acquire}. */
export interface AcquiredLease {
  readonly acquired: true;
  /**
   * Strictly increasing per key across all holders, releases and expiries. Never reused for a
   * different lease; an acquire retried by the same owner while it still holds the key returns the
   * same token.
   */
  readonly fencingToken: bigint;
  /** When the store will expire the lease, in Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
}

/** The key is held by someone else. */
export interface MissedLease {
  readonly acquired: false;
  /** The holder's remaining time to live in ms, as the store sees it; `undefined` when unknown. */
  readonly retryAfterMs: number | undefined;
}

/** The outcome of one acquire attempt. */
export type AcquireResult = AcquiredLease | MissedLease;

/** One held lease to extend, with the new time to live it should get. */
export interface LeaseToExtend {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
}

/**
 * The outcome of extending one lease: the new store-clock expiry, `undefined` when the lease was
 * no longer held by that owner (expired, released, or taken by someone else), or the
 * `LockBackendError` of this lease alone when the store could not extend it (the part of the store
 * that holds it timed out or failed) while other leases of the same call were extended: one
 * failing Redis Cluster master must not cost the leases on the others. The renewal scheduler
 * retries just those leases until their deadline.
 *
 * A backend need never return an error here: rejecting the whole call still means that no lease
 * of it could be extended, and a backend written before per-lease errors existed keeps working.
 */
export type ExtendResult = number | undefined | LockBackendError;

/** What a store knows of a key, as returned by {@link LockBackend.inspect}. */
export interface LeaseInfo {
  readonly key: string;
  readonly owner: string;
  readonly fencingToken: bigint;
  /** Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
  /**
   * For a semaphore key: how many permits are held. The other fields then describe the holder that
   * took its permit last.
   */
  readonly holders?: number;
  /**
   * `'read'` for the read holds of a read-write lock (`holders` then counts them); absent for
   * every exclusive lease, a write hold included.
   */
  readonly mode?: 'read';
}

/** A lease that ended with the store's session, as {@link LockBackend.onLeasesLost} reports it. */
export interface LostLease {
  readonly key: string;
  readonly owner: string;
}

/** Stops a wake-up subscription. Never rejects. */
export type Unsubscribe = () => void;

/**
 * What a release delivered to the waiters of a key: with fair leases, the lease it handed to the
 * head of the queue, so that waiter holds the lock without another round trip; `undefined` when
 * the key was simply freed and every waiter should try again.
 */
export interface Handoff {
  readonly owner: string;
  readonly fencingToken: bigint;
  /** Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
}
