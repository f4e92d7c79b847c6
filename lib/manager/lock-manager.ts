import {
  InvalidLockOptionsError,
  LockBackendError,
  LockError,
  LockLostError,
  type LockLostReason,
  LockManagerClosedError,
  LockNotAcquiredError,
} from '../contract/errors.js';
import type { AcquireResult, ExtendResult, Handoff, Unsubscribe } from '../contract/lease.js';
import type { LockBackend } from '../contract/lock-backend.js';
import { type MonotonicClock, systemClock } from './clock.js';
import type { Duration } from './duration.js';
import { FAIR_TICKET_TTL_MS, LeaseKinds } from './lease-kinds.js';
import { type Lock, LockHandle, type LockHost } from './lock.js';
import { currentFrame, findHeldFrame, runInFrame } from './lock-context.js';
import { LockEventEmitter, type LockEventListener, type LockEvents } from './lock-events.js';
import { type HoldFrame, LockHolds } from './lock-holds.js';
import type {
  LockManagerOptions,
  LockOptions,
  ResolvedLockDefaults,
  ResolvedLockOptions,
} from './lock-options.js';
import { newOwnerToken } from './owner-token.js';
import { RenewalScheduler } from './renewal-scheduler.js';
import {
  DEFAULT_KEY_PREFIX,
  resolveDefaults,
  resolveLockOptions,
  validateKey,
  validateKeyPrefix,
  validateKeys,
  validateTtl,
} from './validate-options.js';
import { waitForLock } from './wait-for-lock.js';

/** What {@link LockManager.inspect} reports of a key. */
export interface LockInfo {
  /** The key, as given (without the key prefix). */
  readonly key: string;
  readonly fencingToken: bigint;
  /** When the store will expire the lease unless it is renewed (the store's clock). */
  readonly expiresAt: Date;
  /** The owner token, only when this manager holds the lock (owner tokens are not given away). */
  readonly owner?: string;
  /**
   * For a semaphore: how many permits are held. The other fields then describe the holder that
   * took its permit last.
   */
  readonly holders?: number;
}

/** One key, or several to take together (all or none). */
export type LockKeys = string | readonly string[];

/**
 * Distributed locks without Nest: acquire, wait, renew, detect loss, release. `LockService` in a
 * Nest app is a thin layer over one of these.
 *
 * Every lock is a lease in the backend's store, with a random owner token and a fencing token. Held
 * locks are renewed by one background loop that extends them in batches at about a third of their
 * ttl; a lock whose lease is lost has its `signal` aborted and a `lost` event emitted.
 *
 * @example
 * ```ts
 * const locks = new LockManager({ backend: new RedisLockBackend({ url: 'redis://127.0.0.1:6379' }) });
 * const total = await locks.using('report:daily', async (lock) => {
 *   return buildReport({ signal: lock.signal });
 * }, { wait: 5_000 });
 * await locks.close();
 * ```
 */
export class LockManager {
  readonly #backend: LockBackend;
  readonly #kinds: LeaseKinds;
  readonly #prefix: string;
  readonly #defaults: ResolvedLockDefaults;
  readonly #clock: MonotonicClock;
  readonly #events = new LockEventEmitter();
  readonly #scheduler: RenewalScheduler<LockHandle>;
  readonly #host: LockHost;
  /** When each held lock was acquired (monotonic ms), for the hold time its events report. */
  readonly #acquiredAt = new WeakMap<LockHandle, number>();
  #closing: Promise<void> | undefined;
  /** Aborted by close(): the manager takes no more locks, and acquires still waiting end. */
  readonly #shutdown = new AbortController();

  constructor(options: LockManagerOptions) {
    if (!options || typeof options.backend?.acquire !== 'function') {
      throw new InvalidLockOptionsError(
        'backend',
        'must be a LockBackend, such as new RedisLockBackend({ url }) or new MemoryLockBackend()',
      );
    }
    this.#backend = options.backend;
    this.#prefix =
      options.keyPrefix === undefined ? DEFAULT_KEY_PREFIX : validateKeyPrefix(options.keyPrefix);
    this.#defaults = resolveDefaults(options.defaults);
    this.#clock = options.clock ?? systemClock;
    this.#kinds = new LeaseKinds(this.#backend);
    if (this.#defaults.fair) this.#kinds.require('fair', 'defaults.fair');
    this.#host = {
      now: () => this.#clock.now(),
      extendLock: (lock, ttl) => this.#extend(lock, ttl),
      releaseLock: (lock) => this.#release(lock),
      releaseLockAfter: (lock, ms) => this.#releaseAfter(lock, ms),
      deadlinePassed: (lock) => {
        this.#scheduler.delete(lock);
        this.#lost(lock, 'expired');
      },
    };
    this.#scheduler = new RenewalScheduler<LockHandle>(
      {
        // Leases of one kind share a call: every lease in a batch has the same renewer.
        extend: (locks) => locks[0]!.kind.renewer.extend(locks),
        groupOf: (lock) => lock.kind.renewer,
        lost: (lock, reason, cause) => this.#lost(lock, reason, cause),
        failed: (locks, error) =>
          this.#events.emit('renewalFailed', {
            keys: locks.map((lock) => lock.key),
            error: this.#backendError('extend', undefined, error),
          }),
        ...(this.#backend.partitionOf
          ? { partitionOf: (lock: LockHandle) => this.#backend.partitionOf!(lock.storeKey) }
          : {}),
      },
      this.#clock,
    );
  }

  /** The backend this manager uses. */
  get backend(): LockBackend {
    return this.#backend;
  }

  /** The key prefix in the store. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** The defaults in force, after validation, in ms. */
  get defaults(): ResolvedLockDefaults {
    return this.#defaults;
  }

  /** The clock this manager measures deadlines and schedules renewals on. */
  get clock(): MonotonicClock {
    return this.#clock;
  }

  /** How many locks this manager holds right now. */
  get heldCount(): number {
    return this.#scheduler.size;
  }

  /**
   * Acquires `key`, waiting up to `options.wait` ms for it to free up. With an array of keys, takes
   * all of them or none, atomically (sorted, so two callers naming the same keys in any order never
   * deadlock); with `permits`, one of that many permits of a semaphore.
   *
   * @throws {@link LockNotAcquiredError} when it is still held by another owner after `wait`.
   * @throws {@link LockBackendError} when the store fails.
   * @throws {@link InvalidLockOptionsError} for a bad key or options, or a lock shape (`fair`,
   *   `permits`, several keys) the backend does not offer.
   *
   * @example
   * ```ts
   * await using transfer = await locks.acquire(['account:1', 'account:2'], { wait: 1_000 });
   * await using slot = await locks.acquire('partner-api', { permits: 4, wait: '10s' });
   * ```
   */
  async acquire(key: LockKeys, options?: LockOptions): Promise<Lock> {
    const keys = validateKeys(key);
    return this.#acquire(keys, this.#storeKeys(keys), options, true) as Promise<Lock>;
  }

  /**
   * One attempt at `key`, ignoring `wait`: the lock, or `null` when someone else holds it. A fair
   * `tryAcquire` succeeds only when nobody is queued ahead.
   *
   * @throws {@link LockBackendError} when the store fails.
   */
  async tryAcquire(key: LockKeys, options?: Omit<LockOptions, 'wait'>): Promise<Lock | null> {
    const keys = validateKeys(key);
    return this.#acquire(keys, this.#storeKeys(keys), { ...options, wait: 0 }, false);
  }

  /**
   * Takes `key` for `ttl` (ms or a duration string) in one attempt and lets the lease run out in
   * the store: a mark that something was done ("the 12:00:05 tick is claimed"), not a lock to hold.
   * There is no handle, no renewal and no `acquired` or `lost` event, since the lease running out
   * is its purpose. Resolves `false` when someone else holds `key`.
   *
   * @throws {@link LockBackendError} when the store fails.
   *
   * @example
   * ```ts
   * if (await locks.claim(`invoice-mail:${invoiceId}`, '1h')) await sendInvoiceMail(invoiceId);
   * ```
   */
  async claim(key: string, ttl: Duration): Promise<boolean> {
    const storeKey = this.#storeKey(key);
    const ttlMs = validateTtl(ttl);
    if (this.#closed()) throw new LockManagerClosedError(key);
    const owner = newOwnerToken();
    try {
      return (await this.#backend.acquire(storeKey, owner, ttlMs)).acquired;
    } catch (error) {
      // The attempt may still land: free it rather than leave the key claimed by nobody.
      this.#backend.release(storeKey, owner).catch(() => false);
      throw this.#backendError('acquire', key, error);
    }
  }

  /**
   * Acquires `key`, runs `fn` while renewing the lease, and releases in `finally`. Inside `fn`,
   * `currentLock()` returns the lock, and a nested `using` of the same key (or the same keys) by
   * this manager re-enters it instead of waiting for itself.
   *
   * Re-entry keeps a hold count: the lease is released when the last hold ends, so a re-entered
   * section that outlives the one it re-entered (started from a timer and not awaited) keeps the
   * lock until it ends. Sections of one call chain that run side by side (two branches of a
   * `Promise.all`) are not nested in each other: they take turns, waiting up to `options.wait`
   * like any other caller, and one that cannot get its turn in time gets
   * {@link LockNotAcquiredError}.
   *
   * @example
   * ```ts
   * await locks.using(`stock:${sku}`, async (lock) => {
   *   await decrementStock(sku, { fence: lock.fencingToken, signal: lock.signal });
   * }, { wait: 2_000 });
   * ```
   */
  async using<T>(
    key: LockKeys,
    fn: (lock: Lock) => T | Promise<T>,
    options?: LockOptions,
  ): Promise<T> {
    const keys = validateKeys(key);
    const storeKeys = this.#storeKeys(keys);
    // Identifies the set of keys in the call-chain registry: NUL cannot occur in a key.
    const scopeKey = storeKeys.join('\0');
    const chain = currentFrame();
    const held = findHeldFrame(this, scopeKey);
    if (held) {
      const frame: HoldFrame = {
        scope: this,
        scopeKey,
        lock: held.lock,
        holds: held.holds,
        parent: chain,
      };
      if (held.holds.mayEnter(chain)) {
        held.holds.enter(frame);
        return this.#runHold(frame, fn);
      }
      const startedAt = this.#clock.now();
      const resolved = resolveLockOptions(options, this.#defaults);
      const turn = await held.holds.waitTurn(frame, resolved.waitMs, this.#clock, resolved.signal);
      if (turn === 'entered') return this.#runHold(frame, fn);
      if (turn === 'timeout') {
        const waitedMs = Math.round(this.#clock.now() - startedAt);
        this.#events.emit('busy', { key: keys.join(','), waitedMs, retryAfterMs: undefined });
        throw new LockNotAcquiredError(keys.join(','), undefined, waitedMs);
      }
      // The lock went away while this section waited: take it anew, for what is left of the wait.
      const waitedMs = this.#clock.now() - startedAt;
      options = { ...options, wait: Math.max(0, Math.floor(resolved.waitMs - waitedMs)) };
    }
    const lock = (await this.#acquire(keys, storeKeys, options, true)) as LockHandle;
    const frame: HoldFrame = {
      scope: this,
      scopeKey,
      lock,
      holds: new LockHolds(lock),
      parent: chain,
    };
    frame.holds.enter(frame);
    return this.#runHold(frame, fn);
  }

  /** Runs `fn` as the hold of `frame`; the last hold of its lock to end releases the lease. */
  async #runHold<T>(frame: HoldFrame, fn: (lock: Lock) => T | Promise<T>): Promise<T> {
    try {
      return await runInFrame(frame, fn);
    } finally {
      if (frame.holds.exit(frame)) {
        await this.#release(frame.lock as LockHandle).catch(() => undefined);
      }
    }
  }

  /**
   * Checks lock options, and that this manager's backend offers the lock shape they ask for,
   * without taking a lock: what `@Locked()` runs at bootstrap, for a lock on one key (the number
   * of keys a key function returns is known only per call).
   *
   * @throws {@link InvalidLockOptionsError}
   */
  validateOptions(options: LockOptions | undefined, where?: string): void {
    const resolved = resolveLockOptions(options, this.#defaults, where);
    this.#kinds.choose(['key'], resolved, this.#defaults.fair, where);
  }

  /** Whether anyone holds `key` right now. */
  async isLocked(key: string): Promise<boolean> {
    return (await this.inspect(key)) !== null;
  }

  /** The current lease on `key` (a lock or a semaphore), or `null` when it is free. */
  async inspect(key: string): Promise<LockInfo | null> {
    const storeKey = this.#storeKey(key);
    let info: Awaited<ReturnType<LockBackend['inspect']>>;
    try {
      info = await this.#backend.inspect(storeKey);
    } catch (error) {
      throw this.#backendError('inspect', key, error);
    }
    if (!info) return null;
    const mine = this.#scheduler.some(
      (lock) => lock.owner === info.owner && lock.storeKeys.includes(storeKey),
    );
    return {
      key,
      fencingToken: info.fencingToken,
      expiresAt: new Date(info.expiresAt),
      ...(mine ? { owner: info.owner } : {}),
      ...(info.holders === undefined ? {} : { holders: info.holders }),
    };
  }

  /**
   * Subscribes to a lock event: `acquired`, `released`, `busy`, `lost`, `renewalFailed`,
   * `releaseFailed`.
   * Returns a function that unsubscribes.
   */
  on<E extends keyof LockEvents>(event: E, listener: LockEventListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<E extends keyof LockEvents>(event: E, listener: LockEventListener<E>): void {
    this.#events.off(event, listener);
  }

  /**
   * Stops taking locks, ends every acquire still waiting with {@link LockManagerClosedError},
   * releases every lock still held (their signals abort with reason `closed`), stops renewal and
   * closes the backend's own connections. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #closed(): boolean {
    return this.#shutdown.signal.aborted;
  }

  async #close(): Promise<void> {
    this.#shutdown.abort();
    const held = this.#scheduler.leases();
    this.#scheduler.stop();
    await Promise.all(
      held.map(async (lock) => {
        lock.markLost('closed');
        await lock.kind.release(lock.owner).catch(() => false);
      }),
    );
    await this.#backend.close();
  }

  /** The key as stored: validated, with the prefix. */
  #storeKey(key: string): string {
    return this.#prefix + validateKey(key);
  }

  /** Validated keys as stored, with the prefix. */
  #storeKeys(keys: readonly string[]): string[] {
    return keys.map((key) => this.#prefix + key);
  }

  /** Subscribes to the release wake-ups of every key; all or none. */
  async #subscribeAll(
    storeKeys: readonly string[],
    onRelease: (handoff?: Handoff) => void,
  ): Promise<Unsubscribe> {
    const backend = this.#backend;
    const results = await Promise.allSettled(
      storeKeys.map((storeKey) => backend.subscribe!(storeKey, onRelease)),
    );
    const done = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = results.find((result) => result.status === 'rejected');
    const unsubscribeAll = (): void => {
      for (const unsubscribe of done) unsubscribe();
    };
    if (failed) {
      unsubscribeAll();
      throw failed.reason;
    }
    return unsubscribeAll;
  }

  async #acquire(
    keys: readonly string[],
    storeKeys: readonly string[],
    options: LockOptions | undefined,
    throwWhenBusy: boolean,
  ): Promise<Lock | null> {
    const key = keys.join(',');
    const resolved = resolveLockOptions(options, this.#defaults);
    const kind = this.#kinds.choose(storeKeys, resolved, this.#defaults.fair);
    if (this.#closed()) throw new LockManagerClosedError(key);
    resolved.signal?.throwIfAborted();

    const owner = newOwnerToken();
    const { ttlMs } = resolved;
    const fair = kind.queued;
    // A single attempt of a fair lock must not leave a ticket in the queue behind.
    const join = resolved.waitMs > 0;
    const startedAt = this.#clock.now();
    // When the last answered attempt was sent: a lease granted by it, or handed over after it,
    // began no earlier than that.
    let sentAt = startedAt;
    const attempt = async (): Promise<AcquireResult> => {
      const sent = this.#clock.now();
      const result = await kind.acquire(owner, ttlMs, join);
      sentAt = sent;
      return result;
    };

    // A fair waiter subscribes before its first attempt: it is likely to wait (fair keys are busy
    // keys, and their subscriptions stay warm), and a hand-off may come right after it queues.
    const subscribeFirst = fair && resolved.waitMs > 0 && this.#backend.subscribe !== undefined;
    let result: AcquireResult;
    try {
      const first = subscribeFirst ? undefined : await attempt();
      // Set below whenever `first` is undefined (only when waiting).
      result = first as AcquireResult;
      if (!first?.acquired && resolved.waitMs > 0) {
        result = await waitForLock(
          {
            attempt,
            subscribe: this.#backend.subscribe
              ? (onRelease) => this.#subscribeAll(storeKeys, onRelease)
              : undefined,
            onSubscribeError: () => undefined,
            waitMs: resolved.waitMs,
            signal: resolved.signal
              ? AbortSignal.any([resolved.signal, this.#shutdown.signal])
              : this.#shutdown.signal,
            clock: this.#clock,
            ...(fair ? { owner, maxSleepMs: Math.min(FAIR_TICKET_TTL_MS, ttlMs) / 4 } : {}),
          },
          first,
        );
      }
    } catch (error) {
      // The outcome of the last attempt is unknown: it may still land. Release under our owner
      // token so that it cannot leave the key taken until its ttl runs out (and, when fair, so that
      // our place in the queue is given up).
      kind.release(owner).catch(() => false);
      if (this.#closed() && error === this.#shutdown.signal.reason) {
        throw new LockManagerClosedError(key);
      }
      if (error instanceof LockError || resolved.signal?.aborted) throw error;
      throw this.#backendError('acquire', key, error);
    }

    if (!result.acquired) {
      // A fair waiter that gives up leaves the queue, so the waiters behind it are not held up.
      if (fair && resolved.waitMs > 0) {
        await kind.release(owner).catch(() => false);
      }
      const waitedMs = Math.round(this.#clock.now() - startedAt);
      this.#events.emit('busy', { key, waitedMs, retryAfterMs: result.retryAfterMs });
      if (!throwWhenBusy) return null;
      throw new LockNotAcquiredError(key, result.retryAfterMs, waitedMs);
    }
    if (this.#closed()) {
      await kind.release(owner).catch(() => false);
      throw new LockManagerClosedError(key);
    }
    const lock = new LockHandle(this.#host, {
      key,
      keys,
      storeKeys,
      kind,
      owner,
      fencingToken: result.fencingToken,
      autoRenew: resolved.autoRenew,
      ttlMs,
      expiresAt: result.expiresAt,
      sentAt,
    });
    this.#scheduler.add(lock);
    const acquiredAt = this.#clock.now();
    this.#acquiredAt.set(lock, acquiredAt);
    this.#events.emit('acquired', {
      key,
      fencingToken: lock.fencingToken,
      waitedMs: Math.round(acquiredAt - startedAt),
    });
    return lock;
  }

  async #extend(lock: LockHandle, ttl: Duration | undefined): Promise<void> {
    const ttlMs = ttl === undefined ? lock.ttlMs : validateTtl(ttl);
    if (lock.state !== 'held') throw lock.signal.reason ?? this.#notHeld(lock);
    const sentAt = this.#clock.now();
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
      throw this.#lost(lock, 'not-held') ?? this.#notHeld(lock);
    }
    lock.renewed(expiresAt, sentAt, ttlMs);
    this.#scheduler.touch(lock);
  }

  /** Stops holding `lock` locally (no more renewal); `false` when it was not held. */
  #stopHolding(lock: LockHandle): boolean {
    if (!lock.markReleased()) return false;
    this.#scheduler.delete(lock);
    return true;
  }

  async #release(lock: LockHandle): Promise<boolean> {
    if (!this.#stopHolding(lock)) return false;
    let released: boolean;
    try {
      released = await lock.kind.release(lock.owner);
    } catch (error) {
      const failure = this.#backendError('release', lock.key, error);
      this.#events.emit('releaseFailed', {
        key: lock.key,
        fencingToken: lock.fencingToken,
        error: failure,
      });
      throw failure;
    }
    this.#events.emit('released', {
      key: lock.key,
      fencingToken: lock.fencingToken,
      heldMs: this.#heldMs(lock),
    });
    return released;
  }

  async #releaseAfter(lock: LockHandle, ms: Duration): Promise<boolean> {
    const keepMs = validateTtl(ms, 'ms');
    if (lock.state !== 'held') return false;
    try {
      await this.#extend(lock, keepMs);
    } catch (error) {
      // The holder is done with the lock either way: a lease left to the renewal loop would be
      // renewed forever by a holder that no longer uses it (a leader that stepped down). Release it
      // now instead; if the store is down, it frees when its ttl runs out.
      await this.#release(lock).catch(() => undefined);
      throw error;
    }
    if (!this.#stopHolding(lock)) return false;
    this.#events.emit('released', {
      key: lock.key,
      fencingToken: lock.fencingToken,
      heldMs: this.#heldMs(lock),
    });
    return true;
  }

  #lost(lock: LockHandle, reason: LockLostReason, cause?: unknown): LockLostError | undefined {
    const error = lock.markLost(reason, cause);
    if (error && lock.kind.releaseWhenLost) {
      // Losing one key loses the lock: free the keys it still holds rather than wait for their ttl.
      lock.kind.release(lock.owner).catch(() => false);
    }
    if (error) {
      this.#events.emit('lost', {
        key: lock.key,
        fencingToken: lock.fencingToken,
        error,
        heldMs: this.#heldMs(lock),
      });
    }
    return error;
  }

  #heldMs(lock: LockHandle): number {
    return Math.round(this.#clock.now() - (this.#acquiredAt.get(lock) ?? this.#clock.now()));
  }

  #notHeld(lock: LockHandle): LockLostError {
    return new LockLostError(
      lock.key,
      lock.fencingToken,
      lock.state === 'released' ? 'released' : 'not-held',
    );
  }

  #backendError(operation: string, key: string | undefined, error: unknown): LockBackendError {
    if (error instanceof LockBackendError) return error;
    return new LockBackendError(this.#backend.name, operation, key, error);
  }
}
