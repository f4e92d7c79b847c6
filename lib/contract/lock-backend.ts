/**
 * The contract every store implements: a mutex with leases, and the optional capabilities a store
 * offers beyond it (fair queues, semaphores, several keys at once), each its own object. A backend
 * offers atomic primitives on one store and knows nothing of Nest, of the manager, of waiting or of
 * renewal. Every duration is in milliseconds and every decision about expiry is taken by the
 * store's own clock (Redis `PX`, Postgres `clock_timestamp()`), never by the client's.
 *
 * Keys reach a backend already prefixed and validated; owners are opaque tokens chosen by the caller.
 * The shared conformance suite (`nestjs-locker/testing`) is the executable definition of this
 * contract: a backend passes the mutex cases, and the cases of each capability it exposes.
 */

import type { FairLocks } from './fair-locks.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  LostLease,
  Unsubscribe,
} from './lease.js';
import type { LockDirectory } from './lock-directory.js';
import type { MultiKeyLocks } from './multi-key-locks.js';
import type { ReadWriteLocks } from './read-write-locks.js';
import type { Semaphores } from './semaphores.js';
import type { SharedResults } from './shared-results.js';
import type { WaitGraph } from './wait-graph.js';

/**
 * A lock store. Implementations: `MemoryLockBackend`, `RedisLockBackend` and the others in
 * `lib/backends`. Every method rejects with a `LockBackendError` when the store cannot be reached
 * or answers with an error.
 *
 * @example
 * ```ts
 * // The manager asks for a capability and refuses a lock of a kind the backend lacks:
 * if (!backend.semaphore) throw new InvalidLockOptionsError('permits', 'not offered');
 * await backend.semaphore.acquire('locker:partner-api', owner, 30_000, 4);
 * ```
 */
export interface LockBackend {
  /** A short name for logs and errors, such as `"redis"` or `"memory"`. */
  readonly name: string;

  /**
   * Takes `key` for `owner` for `ttlMs` if it is free or expired. Idempotent for the same owner:
   * when `owner` already holds `key`, the lease is refreshed to `ttlMs` and the same fencing token is
   * returned, so that a retry of an attempt whose answer was lost is harmless. An owner that was
   * handed a fair lease gets it the same way.
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult>;

  /**
   * Extends many leases at once (mutex leases, fair ones included), each only if still held by its
   * owner and not expired. Results are in the order of `leases`. When only some of the leases could
   * not be reached, their results are their errors (see {@link ExtendResult}) and the call
   * resolves; it rejects when none could be.
   */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]>;

  /**
   * Releases `key` if `owner` holds it, and wakes the key's waiters. Resolves `true` when this call
   * released the lease, `false` when `owner` did not hold it (any more).
   */
  release(key: string, owner: string): Promise<boolean>;

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
   * Optional, with {@link subscribe}: whether a subscription to `key` is open already (this
   * process waited on the key lately and the channel lingers), so that subscribing again costs no
   * round trip. A waiting acquire on such a key subscribes before its first attempt, and a miss
   * then sleeps at once instead of making one more attempt to cover a release between the first
   * attempt and the subscription. Undefined: waiters always attempt first.
   */
  subscribed?(key: string): boolean;

  /**
   * Optional: which part of the store holds `key` (a Redis Cluster master, say), for a store whose
   * parts can fail apart. Calls about keys of different parts are then made apart, one extend per
   * part in the renewal scheduler, so that a part that stopped answering never holds back the
   * answers of the others: leases on healthy parts are renewed on time while the failed part's
   * calls wait for their timeout. Keys of one part must map to equal values (compared with `===`);
   * a store that fails as one whole leaves this undefined.
   */
  partitionOf?(key: string): string | number;

  /**
   * Optional: the longest ttl this store can promise a lease, in ms, for a store whose leases can
   * end before their ttl through no fault of the holder's. A ZooKeeper session that expires takes
   * its holder's nodes with it, so a lease promised longer than the session timeout could be taken
   * over while its holder, cut off, still believes it valid. The manager refuses a longer ttl with
   * `InvalidLockOptionsError` (decorators at bootstrap, `defaults.ttl` at construction). A backend
   * whose leases last their ttl leaves this undefined.
   */
  readonly maxTtlMs?: number;

  /**
   * Optional: the ttl the store really keeps a lease for when asked for `ttlMs`, for a store that
   * cannot keep any ttl: etcd's leases are whole seconds, and no shorter than its server's floor.
   * Never less than `ttlMs`. The manager takes every lock for that ttl, so that the holder's
   * deadline and its renewals follow the lease the store keeps (`lock.ttlMs` shows it). A store
   * that keeps any ttl leaves this undefined.
   */
  effectiveTtlMs?(ttlMs: number): number;

  /**
   * Optional, for a store whose leases belong to a session that can end before their ttl
   * (`PostgresAdvisoryLockBackend`: a dropped connection frees every advisory lock on it at once):
   * calls `listener` with the keys and owners of the leases that ended, as soon as the backend
   * knows. The manager aborts their holders' signals then (`LockLostError`, reason `not-held`)
   * instead of at the next renewal. A backend whose leases end only by ttl leaves this undefined.
   */
  onLeasesLost?(listener: (lost: readonly LostLease[]) => void): Unsubscribe;

  /**
   * Optional: `true` for a store whose leases belong to the backend (the session) that took them,
   * such as PostgreSQL session advisory locks: only that backend can extend or release them;
   * another backend, even with the owner's token, answers `undefined` / `false` and leaves the
   * lease as it is. The owner token still decides within the backend. Undefined: any backend on
   * the store can extend or release a lease given its owner token.
   */
  readonly sessionLeases?: boolean;

  /** Fair locks (waiters served in arrival order), when the store offers them. */
  readonly fair?: FairLocks;

  /** Semaphores (N holders of a key at once), when the store offers them. */
  readonly semaphore?: Semaphores;

  /** Locks on several keys taken together, all or none, when the store offers them. */
  readonly multiKey?: MultiKeyLocks;

  /** Read-write locks (many readers or one writer), when the store offers them. */
  readonly readWrite?: ReadWriteLocks;

  /**
   * The waits-for graph of chains that hold locks and wait for others, for deadlock detection,
   * when the store can keep one and walk it in one consistent view.
   */
  readonly waits?: WaitGraph;

  /** Outcomes of shared runs (`share`), when the store can keep them. */
  readonly results?: SharedResults;

  /**
   * Listing of the live leases under a prefix, and records of the running instances, when the
   * store can list its keys: what the lock dashboard shows.
   */
  readonly directory?: LockDirectory;

  /** Closes the connections this backend opened itself. Connections passed in stay open. */
  close(): Promise<void>;
}

export type { FairAcquireOptions, FairLocks } from './fair-locks.js';
export type {
  AcquiredLease,
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  LostLease,
  MissedLease,
  Unsubscribe,
} from './lease.js';
export type {
  InstanceListing,
  InstanceRecord,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from './lock-directory.js';
export type { MultiKeyLeaseToExtend, MultiKeyLocks } from './multi-key-locks.js';
export type { LockMode, ReadWriteAcquireOptions, ReadWriteLocks } from './read-write-locks.js';
export type { Semaphores } from './semaphores.js';
export type { SharedOutcome, SharedResults } from './shared-results.js';
export type { WaitCycleMember, WaitGraph, WaitRecord } from './wait-graph.js';
