import { setMaxListeners } from 'node:events';
import {
  asBackendError,
  InvalidLockOptionsError,
  LockBackendError,
  LockManagerClosedError,
  LockNotAcquiredError,
} from '../contract/errors.js';
import type { LockBackend } from '../contract/lock-backend.js';
import { type MonotonicClock, systemClock, wallNow } from './clock.js';
import type { Duration } from './duration.js';
import { HeldLocks } from './held-locks.js';
import { InstancePresence } from './instance-presence.js';
import { LeaseKinds } from './lease-kinds.js';
import { type Lock, LockHandle } from './lock.js';
import { LockAcquirer } from './lock-acquirer.js';
import { LockActivity } from './lock-activity.js';
import { LockEventEmitter, type LockEventListener, type LockEvents } from './lock-events.js';
import type { LockInfo, LockKeys } from './lock-info.js';
import type {
  LockManagerOptions,
  LockOptions,
  ResolvedLockDefaults,
  ShareOptions,
} from './lock-options.js';
import { holdLock, holdScopeKey, refuseUpgrade } from './lock-reentry.js';
import { newOwnerToken } from './owner-token.js';
import { resolveInstanceId, resolvePresence } from './presence-settings.js';
import { type ResolvedShareOptions, runShared, type ShareHost } from './shared-call.js';
import { DEFAULT_MAX_RESULT_BYTES } from './shared-outcome.js';
import {
  checkTtlLimit,
  DEFAULT_KEY_PREFIX,
  effectiveTtl,
  resolveDefaults,
  resolveLockOptions,
  validateKey,
  validateKeyPrefix,
  validateKeys,
  validateShareFor,
  validateTtl,
  validateWait,
} from './validate-options.js';
import { type WaitingAcquire, WaitingAcquires } from './waiting-acquires.js';

export type { LockInfo, LockKeys } from './lock-info.js';

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
  readonly #held: HeldLocks;
  readonly #acquirer: LockAcquirer;
  readonly #instanceId: string;
  /** The instance id and `-`: the start of every owner token of this manager. */
  readonly #ownerPrefix: string;
  readonly #waiting: WaitingAcquires;
  readonly #activity: LockActivity;
  readonly #presence: InstancePresence | undefined;
  #closing: Promise<void> | undefined;
  /** Shared runs this manager takes part in, by store key: local callers join them. */
  readonly #sharing = new Map<string, Promise<unknown>>();
  #sharedRuns: ShareHost | undefined;
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
    // Every waiting acquire listens on it until it ends: many at once are normal, not a leak
    // (Node warns from the eleventh listener on).
    setMaxListeners(0, this.#shutdown.signal);
    this.#prefix =
      options.keyPrefix === undefined ? DEFAULT_KEY_PREFIX : validateKeyPrefix(options.keyPrefix);
    this.#defaults = resolveDefaults(options.defaults, this.#backend.maxTtlMs);
    this.#clock = options.clock ?? systemClock;
    this.#instanceId = resolveInstanceId(options.instanceId);
    this.#ownerPrefix = `${this.#instanceId}-`;
    const presence = resolvePresence(options.presence);
    this.#waiting = new WaitingAcquires(this.#clock);
    this.#activity = new LockActivity(this.#events, () => wallNow(this.#clock));
    checkTtlLimit(this.#defaults.ttl, this.#backend, 'defaults.ttl');
    this.#kinds = new LeaseKinds(this.#backend);
    if (this.#defaults.fair) this.#kinds.require('fair', 'defaults.fair');
    const waits = resolveDeadlockDetection(this.#backend, options.detectDeadlocks);
    const { partitionOf } = this.#backend;
    this.#held = new HeldLocks({
      backend: this.#backend.name,
      ttlLimit: this.#backend,
      events: this.#events,
      clock: this.#clock,
      partitionOf: partitionOf && ((storeKey) => partitionOf.call(this.#backend, storeKey)),
      onLeasesLost: this.#backend.onLeasesLost?.bind(this.#backend),
    });
    this.#acquirer = new LockAcquirer({
      backend: this.#backend,
      kinds: this.#kinds,
      defaults: this.#defaults,
      clock: this.#clock,
      events: this.#events,
      held: this.#held,
      shutdown: this.#shutdown.signal,
      scope: this,
      waits,
      userKey: (storeKey) =>
        storeKey.startsWith(this.#prefix) ? storeKey.slice(this.#prefix.length) : storeKey,
      instancePrefix: this.#ownerPrefix,
      waiting: this.#waiting,
    });
    const { directory } = this.#backend;
    if (presence && directory) {
      this.#presence = new InstancePresence({
        directory,
        prefix: this.#prefix,
        id: this.#instanceId,
        ...presence,
        clock: this.#clock,
        activity: this.#activity,
        held: () => this.held(),
        waiting: () => this.#waiting.list(),
      });
      this.#presence.start();
    }
  }

  /**
   * This manager's instance id: every owner token it makes starts with it (and `-`), and its
   * record in the store (with `presence`) is kept under it.
   */
  get instanceId(): string {
    return this.#instanceId;
  }

  /**
   * The recent history of this instance the lock dashboard shows: lost leases, failed renewals
   * and releases, admin actions, cron ticks.
   */
  get activity(): LockActivity {
    return this.#activity;
  }

  /** The acquires of this manager waiting for their lock right now, oldest first. */
  waiting(): WaitingAcquire[] {
    return this.#waiting.list();
  }

  /** The locks this manager holds right now: keys, fencing token, and how long held (ms). */
  held(): {
    readonly keys: readonly string[];
    readonly fencingToken: bigint;
    readonly heldMs: number;
  }[] {
    return this.#held
      .held()
      .map(({ lock, heldMs }) => ({ keys: lock.keys, fencingToken: lock.fencingToken, heldMs }));
  }

  /** Writes this instance's record now, when `presence` is on (the dashboard's own instance, after a change). */
  async refreshPresence(): Promise<void> {
    await this.#presence?.refresh();
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
    return this.#held.size;
  }

  /**
   * Acquires `key`, waiting up to `options.wait` ms for it to free up. With an array of keys, takes
   * all of them or none, atomically (sorted, so two callers naming the same keys in any order never
   * deadlock); with `permits`, one of that many permits of a semaphore.
   *
   * @throws {@link LockNotAcquiredError} when it is still held by another owner after `wait`.
   * @throws {@link LockBackendError} when the store fails.
   * @throws {@link InvalidLockOptionsError} for a bad key or options, or a lock shape (`fair`,
   *   `permits`, `mode`, several keys) the backend does not offer.
   * @throws {@link LockUpgradeError} when the call chain holds `key` for reading and this asks for
   *   it exclusively.
   *
   * @example
   * ```ts
   * await using transfer = await locks.acquire(['account:1', 'account:2'], { wait: 1_000 });
   * await using slot = await locks.acquire('partner-api', { permits: 4, wait: '10s' });
   * ```
   */
  async acquire(key: LockKeys, options?: LockOptions): Promise<Lock> {
    const keys = validateKeys(key);
    const storeKeys = this.#storeKeys(keys);
    refuseUpgrade(this, holdScopeKey(storeKeys), keys, options?.mode);
    // Awaited rather than returned: an async function that returns a promise adopts it in two
    // more turns of the microtask queue.
    return (await this.#acquirer.acquire(keys, storeKeys, options, true)) as Lock;
  }

  /**
   * One attempt at `key`, ignoring `wait`: the lock, or `null` when someone else holds it. A fair
   * `tryAcquire` succeeds only when nobody is queued ahead.
   *
   * @throws {@link LockBackendError} when the store fails.
   */
  async tryAcquire(key: LockKeys, options?: Omit<LockOptions, 'wait'>): Promise<Lock | null> {
    const keys = validateKeys(key);
    const storeKeys = this.#storeKeys(keys);
    refuseUpgrade(this, holdScopeKey(storeKeys), keys, options?.mode);
    return await this.#acquirer.acquire(keys, storeKeys, { ...options, wait: 0 }, false);
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
    const ttlMs = effectiveTtl(this.#backend, checkTtlLimit(validateTtl(ttl), this.#backend));
    if (this.#closed()) throw new LockManagerClosedError(key);
    const owner = newOwnerToken(this.#ownerPrefix);
    try {
      return (await this.#backend.acquire(storeKey, owner, ttlMs)).acquired;
    } catch (error) {
      // The attempt may still land: free it rather than leave the key claimed by nobody.
      this.#backend.release(storeKey, owner).catch(() => false);
      throw asBackendError(this.#backend.name, 'acquire', key, error);
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
    return await holdLock(
      {
        scope: this,
        clock: this.#clock,
        events: this.#events,
        defaults: this.#defaults,
        acquire: (storeKeys, lockOptions) =>
          this.#acquirer.acquire(keys, storeKeys, lockOptions, true) as Promise<LockHandle>,
        release: (lock) => this.#held.releaseLock(lock),
      },
      keys,
      this.#storeKeys(keys),
      fn,
      options,
    );
  }

  /**
   * Runs `fn` once for every caller of `key` that arrives while it runs, on any instance: the
   * first caller takes the key's lock and runs it; the others wait for that run and get its
   * result (or, as {@link SharedRunFailedError}, its error) instead of running it again. Callers
   * on this instance join a run in memory, before any round trip. If the running caller dies,
   * its lease runs out and exactly one waiter runs `fn` again.
   *
   * Results travel through the store as JSON: every caller, the one that ran `fn` included, gets
   * what `JSON.parse(JSON.stringify(result))` gives back (a `Date` becomes a string). A result
   * that is not JSON or is over `maxResultBytes` fails every caller with
   * {@link ResultNotShareableError}.
   *
   * @throws {@link LockNotAcquiredError} when the run it waited for did not end within `wait`.
   * @throws {@link InvalidLockOptionsError} for a bad key or options, or a backend that cannot
   *   keep shared results (Redlock).
   *
   * @example
   * ```ts
   * // Six instances asking at once: one rebuild, six callers with the same catalog.
   * const catalog = await locks.share('catalog:rebuild', () => rebuildCatalog(), { shareFor: '2s' });
   * ```
   */
  async share<T>(
    key: string,
    fn: (lock: Lock) => T | Promise<T>,
    options?: ShareOptions,
  ): Promise<T> {
    const storeKey = this.#storeKey(key);
    const resolved = resolveShareOptions(options, this.#defaults);
    const host = this.#shareHost();
    if (this.#closed()) throw new LockManagerClosedError(key);
    const running = this.#sharing.get(storeKey);
    if (running) return running as Promise<T>;
    const run = runShared(host, key, storeKey, fn, resolved);
    this.#sharing.set(storeKey, run);
    try {
      return await run;
    } finally {
      if (this.#sharing.get(storeKey) === run) this.#sharing.delete(storeKey);
    }
  }

  /**
   * Checks that this manager's backend can keep the results of shared runs: what
   * `@Locked({ onBusy: 'share' })` runs at bootstrap.
   *
   * @throws {@link InvalidLockOptionsError}
   */
  validateShare(where?: string): void {
    this.#shareHost(where);
  }

  /** What shared runs need of this manager, made once. @throws {@link InvalidLockOptionsError} */
  #shareHost(where?: string): ShareHost {
    const results = this.#backend.results;
    if (!results) {
      throw new InvalidLockOptionsError(
        where ? 'onBusy' : 'share',
        `the ${this.#backend.name} backend cannot keep the results of shared runs (memory, Redis and Postgres can)`,
        where,
      );
    }
    this.#sharedRuns ??= {
      backend: this.#backend.name,
      results,
      clock: this.#clock,
      using: (key, body, lockOptions) => this.using(key, body, lockOptions),
      subscribe: this.#backend.subscribe?.bind(this.#backend),
    };
    return this.#sharedRuns;
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

  /** The current lease on `key` (a lock, a semaphore or read holds), or `null` when it is free. */
  async inspect(key: string): Promise<LockInfo | null> {
    const storeKey = this.#storeKey(key);
    let info: Awaited<ReturnType<LockBackend['inspect']>>;
    try {
      info = await this.#backend.inspect(storeKey);
    } catch (error) {
      throw asBackendError(this.#backend.name, 'inspect', key, error);
    }
    if (!info) return null;
    const mine = this.#held.some(
      (lock) => lock.owner === info.owner && lock.storeKeys.includes(storeKey),
    );
    return {
      key,
      fencingToken: info.fencingToken,
      expiresAt: new Date(info.expiresAt),
      ...(mine ? { owner: info.owner } : {}),
      ...(info.holders === undefined ? {} : { holders: info.holders }),
      ...(info.mode === undefined ? {} : { mode: info.mode }),
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
    await this.#held.releaseAll();
    await this.#presence?.stop();
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
}

/** The store's waits-for graph when deadlock detection is on: by default, where offered. */
function resolveDeadlockDetection(backend: LockBackend, asked: unknown): LockBackend['waits'] {
  if (asked !== undefined && typeof asked !== 'boolean') {
    throw new InvalidLockOptionsError('detectDeadlocks', `must be a boolean, got ${typeof asked}`);
  }
  if (asked === true && !backend.waits) {
    throw new InvalidLockOptionsError(
      'detectDeadlocks',
      `the ${backend.name} backend cannot detect deadlocks (memory, Redis on one server or Sentinel, and Postgres can)`,
    );
  }
  return asked === false ? undefined : backend.waits;
}

/** {@link ShareOptions} checked, with defaults, in ms. */
function resolveShareOptions(
  options: ShareOptions | undefined,
  defaults: ResolvedLockDefaults,
): ResolvedShareOptions {
  const maxResultBytes = options?.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  if (!Number.isInteger(maxResultBytes) || maxResultBytes < 16) {
    throw new InvalidLockOptionsError(
      'maxResultBytes',
      `must be a whole number of bytes, at least 16, got ${String(maxResultBytes)}`,
    );
  }
  return {
    ttlMs: options?.ttl === undefined ? defaults.ttl : validateTtl(options.ttl),
    waitMs: options?.wait === undefined ? DEFAULT_SHARE_WAIT_MS : validateWait(options.wait),
    signal: options?.signal,
    shareForMs: validateShareFor(options?.shareFor),
    maxResultBytes,
  };
}

/** How long a caller of `share` waits for a run in progress, by default. */
const DEFAULT_SHARE_WAIT_MS = 60_000;
