/**
 * The contract every store implements. A backend offers atomic primitives on one store and knows
 * nothing of Nest, of the manager, of waiting or of renewal. Every duration is in milliseconds and
 * every decision about expiry is taken by the store's own clock (Redis `PX`, Postgres
 * `clock_timestamp()`), never by the client's.
 *
 * Keys reach a backend already prefixed and validated; owners are opaque tokens chosen by the caller.
 * The shared conformance suite (`test/conformance`) is the executable definition of this contract.
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
  /** The lease's shape, as given to `acquire`; `undefined` for a plain mutex. */
  readonly shape?: LeaseShape;
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
}

/** Stops a wake-up subscription. Never rejects. */
export type Unsubscribe = () => void;

/**
 * A fair lease: waiters queue per key in the store and a release hands the lease straight to the
 * head of the queue. A waiter's place is a ticket with a short lease of its own, refreshed by every
 * attempt it makes; a waiter that stops refreshing (it died) is skipped once its ticket expires.
 */
export interface FairShape {
  readonly kind: 'fair';
  /** How long a waiter's ticket lives without a new attempt, in ms. */
  readonly ticketTtlMs: number;
  /**
   * Acquire only: when the key is busy, take (or keep) a place in its queue. `false` for a single
   * attempt (`tryAcquire`), which must leave no ticket behind. Default `true`.
   */
  readonly join?: boolean;
}

/** A semaphore: at most `permits` holders of the key at once, each with its own lease and token. */
export interface SemaphoreShape {
  readonly kind: 'semaphore';
  /** From 2 up; the same for every holder of the key. */
  readonly permits: number;
}

/**
 * Several keys taken together: all of them or none, atomically, by one owner with one fencing
 * token that is higher than every earlier token of each key. `keys` are store keys, sorted and
 * distinct; the `key` argument of each call is `keys[0]`.
 */
export interface MultiKeyShape {
  readonly kind: 'multi';
  readonly keys: readonly string[];
}

/**
 * How a lease differs from a plain one-key mutex. Passed with every call about that lease, because
 * the store keeps each shape in its own way; `undefined` is the plain mutex.
 */
export type LeaseShape = FairShape | SemaphoreShape | MultiKeyShape;

/** Which {@link LeaseShape}s a backend implements. A missing entry means not supported. */
export interface LockBackendFeatures {
  readonly fair?: boolean;
  readonly semaphore?: boolean;
  readonly multiKey?: boolean;
}

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

/**
 * A lock store. Implementations: `MemoryLockBackend`, `RedisLockBackend` and the others in
 * `lib/backends`. Every method rejects with a `LockBackendError` when the store cannot be reached
 * or answers with an error.
 */
export interface LockBackend {
  /** A short name for logs and errors, such as `"redis"` or `"memory"`. */
  readonly name: string;

  /** The lease shapes beyond the plain mutex this backend implements; none when undefined. */
  readonly features?: LockBackendFeatures;

  /**
   * Takes `key` for `owner` for `ttlMs` if it is free or expired. Idempotent for the same owner:
   * when `owner` already holds `key`, the lease is refreshed to `ttlMs` and the same fencing token is
   * returned, so that a retry of an attempt whose answer was lost is harmless. An owner that was
   * handed a fair lease gets it the same way.
   *
   * With a `shape`, the lease is fair, a semaphore permit or a multi-key lease (see
   * {@link LeaseShape}); only shapes listed in {@link features} are passed.
   */
  acquire(key: string, owner: string, ttlMs: number, shape?: LeaseShape): Promise<AcquireResult>;

  /**
   * Extends many leases at once, each only if still held by its owner and not expired. Results are
   * in the order of `leases`. When only some of the leases could not be reached, their results are
   * their errors (see {@link ExtendResult}) and the call resolves; it rejects when none could be.
   */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]>;

  /**
   * Releases `key` if `owner` holds it, and wakes the key's waiters. Resolves `true` when this call
   * released the lease, `false` when `owner` did not hold it (any more).
   *
   * For a fair lease this is also how a waiter leaves the queue: it drops `owner`'s ticket, and when
   * the key is (or becomes) free, hands it to the head of the queue.
   */
  release(key: string, owner: string, shape?: LeaseShape): Promise<boolean>;

  /** The current lease on `key` (a mutex or a semaphore), or `null` when it is free. */
  inspect(key: string): Promise<LeaseInfo | null>;

  /**
   * Optional wake-up channel: calls `onRelease` whenever `key` is released, so that waiters need not
   * poll, with the {@link Handoff} when a fair release handed the lease on. Resolves once the
   * subscription is active, so an acquire attempt made after it cannot miss a release. A backend
   * without a channel leaves this undefined and waiters fall back to polling.
   */
  subscribe?(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe>;

  /**
   * Optional: which part of the store holds `key` (a Redis Cluster master, say), for a store whose
   * parts can fail apart. Calls about keys of different parts are then made apart, one extend per
   * part in the renewal scheduler, so that a part that stopped answering never holds back the
   * answers of the others: leases on healthy parts are renewed on time while the failed part's
   * calls wait for their timeout. Keys of one part must map to equal values (compared with `===`);
   * a store that fails as one whole leaves this undefined.
   */
  partitionOf?(key: string): string | number;

  /** Closes the connections this backend opened itself. Connections passed in stay open. */
  close(): Promise<void>;
}
