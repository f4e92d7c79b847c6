/**
 * The contract every store implements. A backend offers atomic primitives on one store and knows
 * nothing of Nest, of the manager, of waiting or of renewal. Every duration is in milliseconds and
 * every decision about expiry is taken by the store's own clock (Redis `PX`, Postgres
 * `clock_timestamp()`), never by the client's.
 *
 * Keys reach a backend already prefixed and validated; owners are opaque tokens chosen by the caller.
 * The shared conformance suite (`test/conformance`) is the executable definition of this contract.
 */

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
 * The outcome of extending one lease: the new store-clock expiry, or `undefined` when the lease was
 * no longer held by that owner (expired, released, or taken by someone else).
 */
export type ExtendResult = number | undefined;

/** What a store knows of a key, as returned by {@link LockBackend.inspect}. */
export interface LeaseInfo {
  readonly key: string;
  readonly owner: string;
  readonly fencingToken: bigint;
  /** Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
}

/** Stops a wake-up subscription. Never rejects. */
export type Unsubscribe = () => void;

/**
 * A lock store. Implementations: `MemoryLockBackend`, `RedisLockBackend` and the others in
 * `lib/backends`. Every method rejects with a `LockBackendError` when the store cannot be reached
 * or answers with an error.
 */
export interface LockBackend {
  /** A short name for logs and errors, such as `"redis"` or `"memory"`. */
  readonly name: string;

  /**
   * Takes `key` for `owner` for `ttlMs` if it is free or expired. Idempotent for the same owner:
   * when `owner` already holds `key`, the lease is refreshed to `ttlMs` and the same fencing token is
   * returned, so that a retry of an attempt whose answer was lost is harmless.
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult>;

  /**
   * Extends many leases at once, each only if still held by its owner and not expired. Results are
   * in the order of `leases`.
   */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]>;

  /**
   * Releases `key` if `owner` holds it, and wakes the key's waiters. Resolves `true` when this call
   * released the lease, `false` when `owner` did not hold it (any more).
   */
  release(key: string, owner: string): Promise<boolean>;

  /** The current lease on `key`, or `null` when it is free. */
  inspect(key: string): Promise<LeaseInfo | null>;

  /**
   * Optional wake-up channel: calls `onRelease` whenever `key` is released, so that waiters need not
   * poll. Resolves once the subscription is active, so an acquire attempt made after it cannot miss
   * a release. A backend without a channel leaves this undefined and waiters fall back to polling.
   */
  subscribe?(key: string, onRelease: () => void): Promise<Unsubscribe>;

  /** Closes the connections this backend opened itself. Connections passed in stay open. */
  close(): Promise<void>;
}
