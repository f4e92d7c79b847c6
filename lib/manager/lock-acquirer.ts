import {
  asBackendError,
  LockError,
  LockManagerClosedError,
  LockNotAcquiredError,
} from '../contract/errors.js';
import type { AcquireResult, Handoff, Unsubscribe } from '../contract/lease.js';
import type { LockBackend, LockMode } from '../contract/lock-backend.js';
import type { WaitGraph } from '../contract/wait-graph.js';
import type { MonotonicClock } from './clock.js';
import { chainHolds, DEADLOCK_CHECK_MS, DeadlockWatch } from './deadlock-watch.js';
import type { HeldLocks } from './held-locks.js';
import { FAIR_TICKET_TTL_MS, type LeaseKind, type LeaseKinds } from './lease-kinds.js';
import { type Lock, LockHandle } from './lock.js';
import type { LockEventEmitter } from './lock-events.js';
import type { LockOptions, ResolvedLockDefaults } from './lock-options.js';
import { newOwnerToken } from './owner-token.js';
import { effectiveTtl, resolveLockOptions } from './validate-options.js';
import { waitForLock } from './wait-for-lock.js';
import type { WaitingAcquires } from './waiting-acquires.js';

/** One acquire, as {@link attemptLease} runs it. */
export interface LeaseRequest {
  readonly backend: LockBackend;
  readonly kind: LeaseKind;
  readonly storeKeys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
  /** How long to wait for the key to free up, in ms; 0 for one attempt. */
  readonly waitMs: number;
  /** Ends the wait: the caller's signal and the manager's shutdown. */
  readonly signal: AbortSignal;
  readonly clock: MonotonicClock;
  /**
   * Deadlock detection for this wait, made once it is known to wait: `undefined` when the chain
   * holds no locks or the store keeps no graph.
   */
  readonly watchWait?: () => DeadlockWatch | undefined;
  /** Where a wait is listed while it lasts (`LockManager.waiting()`). */
  readonly waiting: WaitingAcquires;
  /** The key as the caller named it, the mode and the permits: the wait's description. */
  readonly key: string;
  readonly keys: readonly string[];
  readonly mode: LockMode | undefined;
  readonly permits: number;
}

/** The answer of the last attempt, and when that attempt was sent (monotonic ms). */
export interface LeaseAttempts {
  readonly result: AcquireResult;
  /** A lease granted by the last attempt, or handed over after it, began no earlier than this. */
  readonly sentAt: number;
}

/**
 * Attempts to take a lease, waiting up to `waitMs` for it: on a release notification where the
 * backend has a wake-up channel, else by jittered polling. A fair waiter subscribes before its
 * first attempt, keeps its place in the store's queue, and leaves the queue when it gives up.
 *
 * When the outcome of the last attempt is unknown (the store failed, the wait was aborted), the
 * lease is released under the request's owner, so that an attempt that still lands cannot keep
 * the key taken until its ttl runs out; the error is rethrown as it came.
 */
export async function attemptLease(request: LeaseRequest): Promise<LeaseAttempts> {
  const { backend, kind, owner, ttlMs, waitMs, clock } = request;
  let watch: DeadlockWatch | undefined;
  let waiting = false;
  // A single attempt of a fair lock must not leave a ticket in the queue behind.
  const join = waitMs > 0;
  // When the attempt that got the lease was sent: the first one unless a later one is made.
  let sentAt = clock.now();
  const attempt = async (): Promise<AcquireResult> => {
    const sent = clock.now();
    const result = await kind.acquire(owner, ttlMs, join);
    sentAt = sent;
    return result;
  };
  // A fair waiter subscribes before its first attempt: it is likely to wait (fair keys are busy
  // keys, and their subscriptions stay warm), and a hand-off may come right after it queues. So
  // does any waiter on keys whose subscriptions are open already (waited on lately): subscribing
  // costs nothing then, and a first miss sleeps at once instead of attempting again.
  const subscribeFirst =
    waitMs > 0 &&
    backend.subscribe !== undefined &&
    (kind.queued || subscribedToAll(backend, request.storeKeys));
  let result: AcquireResult;
  try {
    // The first attempt is awaited here rather than through `attempt`: one async frame less on
    // the path of every uncontended acquire.
    const first = subscribeFirst ? undefined : await kind.acquire(owner, ttlMs, join);
    // Set below whenever `first` is undefined (only when waiting).
    result = first as AcquireResult;
    if (!first?.acquired && waitMs > 0) {
      // Listed and watched from the first miss on: an acquire granted at once costs neither, and
      // one granted at its first attempt never gets here.
      const startWaiting = (): void => {
        if (waiting) return;
        waiting = true;
        request.waiting.begin(request);
        watch = request.watchWait?.();
      };
      const queuedSleepMs = kind.queued ? Math.min(FAIR_TICKET_TTL_MS, ttlMs) / 4 : undefined;
      if (first) startWaiting();
      result = await waitForLock(
        {
          attempt,
          subscribe: backend.subscribe
            ? (onRelease) => subscribeAll(backend, request.storeKeys, onRelease)
            : undefined,
          onSubscribeError: () => undefined,
          waitMs,
          signal: request.signal,
          clock,
          owner: kind.queued ? owner : undefined,
          get maxSleepMs() {
            return sleepBound(queuedSleepMs, watch);
          },
          onMiss: () => {
            startWaiting();
            return watch?.check();
          },
        },
        first,
      );
    }
  } catch (error) {
    // The outcome of the last attempt is unknown: it may still land. When fair, this also gives
    // up our place in the queue.
    kind.release(owner).catch(() => false);
    throw error;
  } finally {
    watch?.end();
    if (waiting) request.waiting.end(request);
  }
  // A fair waiter that gives up leaves the queue, so the waiters behind it are not held up.
  if (!result.acquired && kind.queued && waitMs > 0) {
    await kind.release(owner).catch(() => false);
  }
  return { result, sentAt };
}

/** The longest a waiter sleeps between attempts: a fair ticket's refresh, a deadlock check. */
function sleepBound(
  queuedMs: number | undefined,
  watch: DeadlockWatch | undefined,
): number | undefined {
  const bound = Math.min(queuedMs ?? Infinity, watch ? DEADLOCK_CHECK_MS : Infinity);
  return bound === Infinity ? undefined : bound;
}

/** Whether `backend` has a subscription open on each of `storeKeys` (see `LockBackend.subscribed`). */
function subscribedToAll(backend: LockBackend, storeKeys: readonly string[]): boolean {
  if (!backend.subscribed) return false;
  for (const storeKey of storeKeys) if (!backend.subscribed(storeKey)) return false;
  return true;
}

/** What a {@link LockAcquirer} works with: its manager's parts. */
export interface LockAcquirerDeps {
  readonly backend: LockBackend;
  readonly kinds: LeaseKinds;
  readonly defaults: ResolvedLockDefaults;
  readonly clock: MonotonicClock;
  readonly events: LockEventEmitter;
  readonly held: HeldLocks;
  /** Aborted when the manager closes: no new locks, and waits end. */
  readonly shutdown: AbortSignal;
  /** The manager (the scope of its call chains' holds). */
  readonly scope: object;
  /** The store's waits-for graph when deadlock detection is on. */
  readonly waits: WaitGraph | undefined;
  /** A store key as the caller named it. */
  readonly userKey: (storeKey: string) => string;
  /** The manager's instance id and `-`: the start of every owner token. */
  readonly instancePrefix: string;
  /** The acquires waiting right now. */
  readonly waiting: WaitingAcquires;
}

/**
 * Takes locks for a manager: picks the kind of lease, attempts and waits ({@link attemptLease}),
 * reports a busy key, and hands a granted lease to the held locks as a new handle.
 */
export class LockAcquirer {
  readonly #deps: LockAcquirerDeps;

  constructor(deps: LockAcquirerDeps) {
    this.#deps = deps;
  }

  async acquire(
    keys: readonly string[],
    storeKeys: readonly string[],
    options: LockOptions | undefined,
    throwWhenBusy: boolean,
  ): Promise<Lock | null> {
    const key = keys.length === 1 ? keys[0]! : keys.join(',');
    const resolved = resolveLockOptions(options, this.#deps.defaults);
    const kind = this.#deps.kinds.choose(storeKeys, resolved, this.#deps.defaults.fair);
    const ttlMs = effectiveTtl(this.#deps.backend, resolved.ttlMs);
    if (this.#deps.shutdown.aborted) throw new LockManagerClosedError(key);
    resolved.signal?.throwIfAborted();
    const owner = newOwnerToken(this.#deps.instancePrefix);
    const startedAt = this.#deps.clock.now();
    let attempts: LeaseAttempts;
    try {
      attempts = await attemptLease({
        key,
        keys,
        mode: resolved.mode,
        permits: resolved.permits,
        waiting: this.#deps.waiting,
        backend: this.#deps.backend,
        kind,
        storeKeys,
        owner,
        ttlMs,
        waitMs: resolved.waitMs,
        signal: resolved.signal
          ? AbortSignal.any([resolved.signal, this.#deps.shutdown])
          : this.#deps.shutdown,
        clock: this.#deps.clock,
        // No closure for a single attempt or a store without a graph: the hot path allocates none.
        // A semaphore waiter has no edge in the graph (any holder leaving lets it in): no cycle.
        watchWait:
          this.#deps.waits && resolved.waitMs > 0 && resolved.permits === 1
            ? () => this.#watch(this.#deps.waits!, key, storeKeys, owner)
            : undefined,
      });
    } catch (error) {
      if (this.#deps.shutdown.aborted && error === this.#deps.shutdown.reason) {
        throw new LockManagerClosedError(key);
      }
      if (error instanceof LockError || resolved.signal?.aborted) throw error;
      throw asBackendError(this.#deps.backend.name, 'acquire', key, error);
    }
    const { result, sentAt } = attempts;
    if (!result.acquired) {
      const waitedMs = Math.round(this.#deps.clock.now() - startedAt);
      this.#deps.events.emit('busy', { key, waitedMs, retryAfterMs: result.retryAfterMs });
      if (!throwWhenBusy) return null;
      throw new LockNotAcquiredError(key, result.retryAfterMs, waitedMs);
    }
    if (this.#deps.shutdown.aborted) {
      await kind.release(owner).catch(() => false);
      throw new LockManagerClosedError(key);
    }
    const lock = new LockHandle(this.#deps.held, {
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
    this.#deps.held.add(lock, startedAt);
    return lock;
  }

  /** Deadlock detection for a wait of a chain that holds locks, when it is on. */
  #watch(
    waits: WaitGraph,
    key: string,
    storeKeys: readonly string[],
    owner: string,
  ): DeadlockWatch | undefined {
    const holds = chainHolds(this.#deps.scope);
    if (holds.length === 0) return undefined;
    return new DeadlockWatch({
      graph: waits,
      id: owner,
      holds,
      storeKeys,
      key,
      userKey: this.#deps.userKey,
      clock: this.#deps.clock,
    });
  }
}

/** Subscribes to the release wake-ups of every key; all or none. */
async function subscribeAll(
  backend: LockBackend,
  storeKeys: readonly string[],
  onRelease: (handoff?: Handoff) => void,
): Promise<Unsubscribe> {
  if (storeKeys.length === 1) return backend.subscribe!(storeKeys[0]!, onRelease);
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
