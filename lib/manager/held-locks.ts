import { asBackendError, LockLostError, type LockLostReason } from '../contract/errors.js';
import type { ExtendResult, LostLease, Unsubscribe } from '../contract/lease.js';
import type { LockBackend } from '../contract/lock-backend.js';
import type { MonotonicClock } from './clock.js';
import type { Duration } from './duration.js';
import { LockHandle, type LockHost } from './lock.js';
import type { LockEventEmitter } from './lock-events.js';
import { RenewalScheduler } from './renewal-scheduler.js';
import { checkTtlLimit, effectiveTtl, validateTtl } from './validate-options.js';

/** What {@link HeldLocks} needs of its manager. */
export interface HeldLocksOptions {
  /** The backend's name, for its errors. */
  readonly backend: string;
  /**
   * The backend, for the longest ttl it can promise (`maxTtlMs`) and the ttl it really keeps
   * (`effectiveTtlMs`) when `lock.extend(ttl)` asks for one.
   */
  readonly ttlLimit: Pick<LockBackend, 'name' | 'maxTtlMs' | 'effectiveTtlMs'>;
  readonly events: LockEventEmitter;
  readonly clock: MonotonicClock;
  /** The backend's `partitionOf`: renewals of different parts of the store go apart. */
  readonly partitionOf?: ((storeKey: string) => unknown) | undefined;
  /**
   * The backend's `onLeasesLost`: leases that ended with the store's session are lost at once,
   * not at their next renewal.
   */
  readonly onLeasesLost?:
    | ((listener: (lost: readonly LostLease[]) => void) => Unsubscribe)
    | undefined;
}

/**
 * The upkeep of the locks a manager holds: renewal (one scheduler for all of them, a batch per
 * kind of lease and part of the store), manual extend, release, hand-back after a delay, and loss.
 * It is the {@link LockHost} of every handle the manager gives out, and emits their `acquired`,
 * `released`, `releaseFailed`, `lost` and `renewalFailed` events.
 */
export class HeldLocks implements LockHost {
  readonly #options: HeldLocksOptions;
  readonly #scheduler: RenewalScheduler<LockHandle>;
  readonly #stopWatchingSession: Unsubscribe | undefined;

  constructor(options: HeldLocksOptions) {
    this.#options = options;
    const { partitionOf } = options;
    this.#scheduler = new RenewalScheduler<LockHandle>(
      {
        // Leases of one kind share a call: every lease of a batch has the same renewer.
        extend: (locks) => locks[0]!.kind.renewer.extend(locks),
        groupOf: (lock) => lock.kind.renewer,
        lost: (lock, reason, cause) => this.#lost(lock, reason, cause),
        failed: (locks, error) =>
          options.events.emit('renewalFailed', {
            keys: locks.map((lock) => lock.key),
            error: asBackendError(options.backend, 'extend', undefined, error),
          }),
        ...(partitionOf ? { partitionOf: (lock: LockHandle) => partitionOf(lock.storeKey) } : {}),
      },
      options.clock,
    );
    this.#stopWatchingSession = options.onLeasesLost?.((lost) => this.#sessionLost(lost));
  }

  /** How many locks are held. */
  get size(): number {
    return this.#scheduler.size;
  }

  /** Each held lock with how long ago it was acquired (ms on the manager's clock). */
  held(): { readonly lock: LockHandle; readonly heldMs: number }[] {
    const now = this.#options.clock.now();
    return this.#scheduler.leases().map((lock) => ({
      lock,
      heldMs: Math.max(0, now - lock.acquiredAt),
    }));
  }

  /** Whether some held lock matches `predicate`. */
  some(predicate: (lock: LockHandle) => boolean): boolean {
    return this.#scheduler.some(predicate);
  }

  /** Starts keeping `lock`, acquired after a wait that began at `startedAt` (monotonic ms). */
  add(lock: LockHandle, startedAt: number): void {
    this.#scheduler.add(lock);
    const acquiredAt = this.#options.clock.now();
    lock.acquiredAt = acquiredAt;
    const { events } = this.#options;
    if (!events.hasListeners('acquired')) return;
    events.emit('acquired', {
      key: lock.key,
      fencingToken: lock.fencingToken,
      waitedMs: Math.round(acquiredAt - startedAt),
    });
  }

  /**
   * Stops renewing every held lock and releases each in the store; their signals abort with
   * reason `closed`. Never rejects.
   */
  async releaseAll(): Promise<void> {
    const held = this.#scheduler.leases();
    this.#scheduler.stop();
    this.#stopWatchingSession?.();
    await Promise.all(
      held.map(async (lock) => {
        lock.markLost('closed');
        await lock.kind.release(lock.owner).catch(() => false);
      }),
    );
  }

  now(): number {
    return this.#options.clock.now();
  }

  async extendLock(lock: LockHandle, ttl: Duration | undefined): Promise<void> {
    const { ttlLimit } = this.#options;
    const ttlMs =
      ttl === undefined
        ? lock.ttlMs
        : effectiveTtl(ttlLimit, checkTtlLimit(validateTtl(ttl), ttlLimit));
    if (lock.state !== 'held') throw lock.signal.reason ?? notHeld(lock);
    const sentAt = this.now();
    let expiresAt: ExtendResult;
    try {
      [expiresAt] = await lock.kind.renewer.extend([
        { storeKey: lock.storeKey, storeKeys: lock.storeKeys, owner: lock.owner, ttlMs },
      ]);
    } catch (error) {
      throw this.#backendError('extend', lock.key, error);
    }
    // A backend may answer a lease it could not reach with its error instead of rejecting.
    if (typeof expiresAt === 'object') throw this.#backendError('extend', lock.key, expiresAt);
    if (expiresAt === undefined) {
      this.#scheduler.delete(lock);
      throw this.#lost(lock, 'not-held') ?? notHeld(lock);
    }
    lock.renewed(expiresAt, sentAt, ttlMs);
    this.#scheduler.touch(lock);
  }

  async releaseLock(lock: LockHandle): Promise<boolean> {
    if (!this.#stopHolding(lock)) return false;
    let released: boolean;
    try {
      released = await lock.kind.release(lock.owner);
    } catch (error) {
      const failure = this.#backendError('release', lock.key, error);
      this.#options.events.emit('releaseFailed', {
        key: lock.key,
        fencingToken: lock.fencingToken,
        error: failure,
      });
      throw failure;
    }
    this.#released(lock);
    return released;
  }

  async releaseLockAfter(lock: LockHandle, ms: Duration): Promise<boolean> {
    const keepMs = validateTtl(ms, 'ms');
    if (lock.state !== 'held') return false;
    try {
      await this.extendLock(lock, keepMs);
    } catch (error) {
      // The holder is done with the lock either way: a lease left to the renewal loop would be
      // renewed forever by a holder that no longer uses it (a leader that stepped down). Release it
      // now instead; if the store is down, it frees when its ttl runs out.
      await this.releaseLock(lock).catch(() => undefined);
      throw error;
    }
    if (!this.#stopHolding(lock)) return false;
    this.#released(lock);
    return true;
  }

  deadlinePassed(lock: LockHandle): void {
    this.#scheduler.delete(lock);
    this.#lost(lock, 'expired');
  }

  /** The store's session ended and took these leases with it: each held one is lost now. */
  #sessionLost(lost: readonly LostLease[]): void {
    const ended = new Set(lost.map(({ key, owner }) => `${owner}\u0000${key}`));
    for (const lock of this.#scheduler.leases()) {
      if (!ended.has(`${lock.owner}\u0000${lock.storeKey}`)) continue;
      this.#scheduler.delete(lock);
      this.#lost(lock, 'not-held');
    }
  }

  /** Stops holding `lock` locally (no more renewal); `false` when it was not held. */
  #stopHolding(lock: LockHandle): boolean {
    if (!lock.markReleased()) return false;
    this.#scheduler.delete(lock);
    return true;
  }

  #released(lock: LockHandle): void {
    const { events } = this.#options;
    if (!events.hasListeners('released')) return;
    events.emit('released', {
      key: lock.key,
      fencingToken: lock.fencingToken,
      heldMs: this.#heldMs(lock),
    });
  }

  #lost(lock: LockHandle, reason: LockLostReason, cause?: unknown): LockLostError | undefined {
    const error = lock.markLost(reason, cause);
    if (!error) return undefined;
    if (lock.kind.releaseWhenLost) {
      // Losing one key loses the lock: free the keys it still holds rather than wait for their ttl.
      lock.kind.release(lock.owner).catch(() => false);
    }
    this.#options.events.emit('lost', {
      key: lock.key,
      fencingToken: lock.fencingToken,
      error,
      heldMs: this.#heldMs(lock),
    });
    return error;
  }

  #heldMs(lock: LockHandle): number {
    return Math.round(this.now() - lock.acquiredAt);
  }

  #backendError(operation: string, key: string, error: unknown) {
    return asBackendError(this.#options.backend, operation, key, error);
  }
}

function notHeld(lock: LockHandle): LockLostError {
  return new LockLostError(
    lock.key,
    lock.fencingToken,
    lock.state === 'released' ? 'released' : 'not-held',
  );
}
