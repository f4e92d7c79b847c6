import { LockLostError, type LockLostReason } from '../contract/errors.js';
import type { Duration } from './duration.js';
import type { LeaseKind, StoreLease } from './lease-kinds.js';
import { leaseDeadline, renewalDueAt, renewalEarliestAt } from './lease-timing.js';

/**
 * A held lock: a lease on `key` in the store, renewed in the background until released.
 *
 * @example
 * ```ts
 * await using lock = await locks.acquire('invoice:42');
 * await db.query('UPDATE invoices SET paid = true, fence = $2 WHERE id = 42 AND fence < $2',
 *   [42, lock.fencingToken]);
 * // released when the block exits
 * ```
 */
export interface Lock extends AsyncDisposable {
  /**
   * The key, as given (without the key prefix). For a lock on several keys, they are joined with
   * `,` in the order they were taken (sorted); see {@link keys}.
   */
  readonly key: string;
  /** Every key this lock holds, sorted: one for a plain lock or a semaphore permit. */
  readonly keys: readonly string[];
  /** This holder's random 128-bit owner token (hex). Only its holder can extend or release. */
  readonly owner: string;
  /**
   * Strictly increasing per key across all holders: pass it to the storage you write to and have it
   * reject writes with a smaller token than one it has seen, so a paused, expired holder cannot
   * overwrite its successor's work.
   */
  readonly fencingToken: bigint;
  /** When the store will expire the lease unless it is renewed (the store's clock). */
  readonly expiresAt: Date;
  /**
   * The ttl the lease is held and renewed for, in ms: the one asked for (or the default), or what
   * the store really keeps when it cannot keep that one (etcd rounds up to whole seconds).
   */
  readonly ttlMs: number;
  /**
   * Aborts, with a {@link LockLostError} as its reason, as soon as this holder may no longer act
   * under the lock: the lease was lost (reason `not-held`, `expired` or `closed`) or released
   * (reason `released`). A lock that is not held never has a live signal.
   */
  readonly signal: AbortSignal;
  /** `true` while this holder's lease is certainly valid: not released, not lost, not expired. */
  isHeld(): boolean;
  /**
   * Extends the lease to `ttl` (ms or a duration string) from now (default: the lock's ttl); later
   * automatic renewals use that ttl too. Rejects with {@link LockLostError} when the lease is
   * already gone.
   */
  extend(ttl?: Duration): Promise<void>;
  /**
   * Releases the lock and wakes its waiters. Resolves `true` when this call released the lease,
   * `false` when it was already released, lost or expired. Never throws for a lock that is not held.
   */
  release(): Promise<boolean>;
  /**
   * Stops renewing the lease and lets it run out `ms` (ms or a duration string) from now instead
   * of releasing it at once, so the key stays taken that long (ShedLock's "lock at least for").
   * Resolves `false` when the lock was not held any more; rejects like {@link extend} when the
   * store fails.
   */
  releaseAfter(ms: Duration): Promise<boolean>;
}

/** What the scheduler needs of a held lease. */
export interface RenewableLease extends StoreLease {
  readonly autoRenew: boolean;
  /** Monotonic ms before which the lease is certainly valid. */
  readonly deadline: number;
  /** Monotonic ms at which renewal falls due: the scheduler's timer fires then at the latest. */
  readonly renewalDueAt: number;
  /** Monotonic ms from which the lease may join a renewal batch (early, to share a round trip). */
  readonly renewAfter: number;
  /** Renewal failed: try again at `at` (monotonic ms). */
  retryRenewalAt(at: number): void;
  /** An extend of this lease is in flight. */
  renewing: boolean;
  /** The store extended the lease by a request sent at `sentAt` (monotonic ms). */
  renewed(expiresAt: number, sentAt: number, ttlMs?: number): void;
}

/** What a {@link LockHandle} needs of the manager that issued it. */
export interface LockHost {
  extendLock(lock: LockHandle, ttl: Duration | undefined): Promise<void>;
  releaseLock(lock: LockHandle): Promise<boolean>;
  releaseLockAfter(lock: LockHandle, ms: Duration): Promise<boolean>;
  /** The lease's deadline passed before the renewal loop noticed: report it lost now. */
  deadlinePassed(lock: LockHandle): void;
  now(): number;
}

type LockState = 'held' | 'released' | 'lost';

/** The {@link Lock} handle the manager hands out. Internal: users see the {@link Lock} interface. */
export class LockHandle implements Lock, RenewableLease {
  renewing = false;
  /** When the manager began holding it (monotonic ms), for the hold time its events report. */
  acquiredAt: number;
  #state: LockState = 'held';
  #ttlMs: number;
  #deadline: number;
  #renewalDueAt = 0;
  #renewAfter = 0;
  #expiresAt: number;
  /**
   * Made on the first read of `signal`: most locks are released without anyone reading it, and an
   * AbortController plus a `LockLostError` (with its stack) per lock is a large part of a release.
   * A signal first read after the lock ended is made already aborted, with the same reason.
   */
  #controller: AbortController | undefined;
  /** Why a lost lock was lost; a released one's reason is made when a signal asks for it. */
  #lostError: LockLostError | undefined;

  readonly key: string;
  readonly keys: readonly string[];
  /** The first store key: the one the backend files the lease under. */
  readonly storeKey: string;
  readonly storeKeys: readonly string[];
  /** How the lease talks to the store: its kind's capability, bound to its keys. */
  readonly kind: LeaseKind;
  readonly owner: string;
  readonly fencingToken: bigint;
  readonly autoRenew: boolean;

  constructor(
    private readonly host: LockHost,
    init: {
      /** `keys` joined with ",". */
      key: string;
      keys: readonly string[];
      storeKeys: readonly string[];
      kind: LeaseKind;
      owner: string;
      fencingToken: bigint;
      autoRenew: boolean;
      ttlMs: number;
      /** Store-clock epoch ms. */
      expiresAt: number;
      /** Monotonic ms no later than the moment the store granted the lease. */
      sentAt: number;
    },
  ) {
    this.keys = init.keys;
    this.key = init.key;
    this.storeKeys = init.storeKeys;
    this.storeKey = init.storeKeys[0]!;
    this.kind = init.kind;
    this.owner = init.owner;
    this.fencingToken = init.fencingToken;
    this.autoRenew = init.autoRenew;
    this.#ttlMs = init.ttlMs;
    this.#expiresAt = init.expiresAt;
    this.#deadline = leaseDeadline(init.sentAt, init.ttlMs);
    this.acquiredAt = init.sentAt;
    this.#scheduleRenewal(init.sentAt);
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }
  get deadline(): number {
    return this.#deadline;
  }
  get renewalDueAt(): number {
    return this.#renewalDueAt;
  }
  get renewAfter(): number {
    return this.#renewAfter;
  }
  get expiresAt(): Date {
    return new Date(this.#expiresAt);
  }
  get signal(): AbortSignal {
    this.#checkDeadline();
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#state !== 'held') this.#controller.abort(this.#endReason());
    }
    return this.#controller.signal;
  }
  get state(): LockState {
    return this.#state;
  }

  isHeld(): boolean {
    return this.#state === 'held' && !this.#checkDeadline();
  }

  /**
   * Whether the lease's deadline has passed. The renewal loop reports that on its next tick; a
   * caller who looks first reports it at once, so the signal is never live past the deadline.
   */
  #checkDeadline(): boolean {
    if (this.#state !== 'held' || this.host.now() < this.#deadline) return false;
    this.host.deadlinePassed(this);
    return true;
  }

  extend(ttl?: Duration): Promise<void> {
    return this.host.extendLock(this, ttl);
  }

  release(): Promise<boolean> {
    return this.host.releaseLock(this);
  }

  releaseAfter(ms: Duration): Promise<boolean> {
    return this.host.releaseLockAfter(this, ms);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  renewed(expiresAt: number, sentAt: number, ttlMs = this.#ttlMs): void {
    if (this.#state !== 'held') return;
    this.#ttlMs = ttlMs;
    this.#expiresAt = expiresAt;
    this.#deadline = leaseDeadline(sentAt, ttlMs);
    this.#scheduleRenewal(sentAt);
  }

  retryRenewalAt(at: number): void {
    this.#renewalDueAt = at;
    this.#renewAfter = at;
  }

  #scheduleRenewal(sentAt: number): void {
    if (this.autoRenew) {
      this.#renewalDueAt = renewalDueAt(sentAt, this.#ttlMs);
      this.#renewAfter = renewalEarliestAt(this.#renewalDueAt, this.#ttlMs);
    } else {
      this.#renewalDueAt = this.#deadline;
      this.#renewAfter = Number.POSITIVE_INFINITY;
    }
  }

  /** Marks the lock released and aborts the signal; `false` if it was not held any more. */
  markReleased(): boolean {
    if (this.#state !== 'held') return false;
    this.#state = 'released';
    this.#controller?.abort(this.#endReason());
    return true;
  }

  /** Marks the lease lost and aborts the signal; returns the error, or `undefined` if not held. */
  markLost(reason: LockLostReason, cause?: unknown): LockLostError | undefined {
    if (this.#state !== 'held') return undefined;
    this.#state = 'lost';
    const error = new LockLostError(this.key, this.fencingToken, reason, { cause });
    this.#lostError = error;
    this.#controller?.abort(error);
    return error;
  }

  /** The signal's reason once the lock ended: how it was lost, or released. */
  #endReason(): LockLostError {
    return this.#lostError ?? new LockLostError(this.key, this.fencingToken, 'released');
  }

  toJSON(): object {
    return {
      key: this.key,
      fencingToken: this.fencingToken.toString(),
      expiresAt: this.expiresAt.toISOString(),
      state: this.#state,
    };
  }
}
