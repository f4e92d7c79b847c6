import { asBackendError, LockNotAcquiredError } from '../contract/errors.js';
import type { Unsubscribe } from '../contract/lease.js';
import type { SharedOutcome, SharedResults } from '../contract/shared-results.js';
import { type MonotonicClock, sleepOn } from './clock.js';
import type { Lock } from './lock.js';
import type { LockOptions } from './lock-options.js';
import { decodeOutcome, encodeError, encodeResult } from './shared-outcome.js';

/** {@link ShareOptions} after defaults and validation, in ms. */
export interface ResolvedShareOptions {
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly shareForMs: number;
  readonly maxResultBytes: number;
}

/** What {@link runShared} needs of its manager. */
export interface ShareHost {
  readonly backend: string;
  readonly results: SharedResults;
  readonly clock: MonotonicClock;
  /** The manager's `using`: takes (or re-enters) the key's lock around `fn`. */
  using<T>(key: string, fn: (lock: Lock) => Promise<T>, options: LockOptions): Promise<T>;
  /** The store's release wake-ups for a key, when it has them. */
  subscribe: ((storeKey: string, onRelease: () => void) => Promise<Unsubscribe>) | undefined;
}

/** How much a store's `ageMs` may be under the true age (stores floor it to whole ms). */
const AGE_RESOLUTION_MS = 1;
/** Without wake-ups, or when one was lost, a waiter looks again at least this often. */
const MAX_SLEEP_MS = 2_000;

/**
 * One caller's part in a shared run of `key`, across instances. It reuses an outcome stored
 * within `shareForMs` when that run succeeded. Otherwise it tries to take the key's lock and run
 * `fn`, storing the outcome for the others before releasing. When the key is busy (a run is in
 * progress), it waits for the key's release and reads the outcome stored by a run that completed
 * after it arrived, without taking the lock: every waiter of a run gets its outcome one round
 * trip after the release. A run whose holder died stores nothing: once its lease runs out, the
 * waiters try the lock again, and exactly one runs `fn` anew.
 */
export async function runShared<T>(
  host: ShareHost,
  key: string,
  storeKey: string,
  fn: (lock: Lock) => T | Promise<T>,
  options: ResolvedShareOptions,
): Promise<T> {
  const { clock, results } = host;
  const arrivedAt = clock.now();
  const read = async (): Promise<SharedOutcome | null> => {
    try {
      return await results.get(storeKey);
    } catch (error) {
      throw asBackendError(host.backend, 'read the shared outcome of', key, error);
    }
  };
  /** The outcome of a run that completed after this caller arrived (by the store's clock). */
  const completedSinceArrival = async (): Promise<SharedOutcome | undefined> => {
    // The store measured the age at some instant between sending and answering: only an age
    // under the time from arrival to the SEND proves the run ended after this caller arrived (a
    // slow answer must not pass an older outcome off as a new one; at worst a run that ended
    // during the read runs again). A store may also floor the age to whole ms.
    const sentAt = clock.now();
    const done = await read();
    return done && done.ageMs < sentAt - arrivedAt - AGE_RESOLUTION_MS ? done : undefined;
  };

  if (options.shareForMs > 0) {
    const recent = await read();
    if (recent && recent.ageMs <= options.shareForMs) {
      const outcome = decodeOutcome(key, recent.value);
      if (outcome.ok) return outcome.value as T;
    }
  }
  const deadline = arrivedAt + options.waitMs;
  const wakeup = new Wakeup();
  let unsubscribe: Unsubscribe | undefined;
  try {
    for (let round = 0; ; round++) {
      const attempt = await runIfFree(host, key, storeKey, fn, options, completedSinceArrival);
      if (attempt.ran) return attempt.value;
      if (round === 0 && host.subscribe) {
        // Subscribed before the next read, so a release in between is not missed.
        unsubscribe = await host.subscribe(storeKey, () => wakeup.wake()).catch(() => undefined);
      }
      const done = await completedSinceArrival();
      if (done) return sharedValue<T>(key, done);
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        const waitedMs = Math.round(clock.now() - arrivedAt);
        throw new LockNotAcquiredError(key, attempt.retryAfterMs, waitedMs);
      }
      // Until a release, the holder's expiry (it may have died), or the next look.
      const untilExpiry = (attempt.retryAfterMs ?? MAX_SLEEP_MS) + 2;
      const sleepMs = Math.min(remaining, untilExpiry, MAX_SLEEP_MS);
      if (await wakeup.sleep(clock, sleepMs, options.signal)) {
        // Released: the run this caller waited for has most likely stored its outcome.
        const after = await completedSinceArrival();
        if (after) return sharedValue<T>(key, after);
      }
    }
  } finally {
    unsubscribe?.();
  }
}

/** The value of a stored outcome, or its error thrown. */
function sharedValue<T>(key: string, outcome: SharedOutcome): T {
  const decoded = decodeOutcome(key, outcome.value);
  if (decoded.ok) return decoded.value as T;
  throw decoded.error;
}

/** What one attempt at running found: its value, or the key busy. */
type RunAttempt<T> =
  | { readonly ran: true; readonly value: T }
  | { readonly ran: false; readonly retryAfterMs: number | undefined };

/**
 * One attempt at the key's lock: when free, runs `fn` under it (unless the run this caller
 * waited for completed meanwhile) and stores the outcome before the release.
 */
async function runIfFree<T>(
  host: ShareHost,
  key: string,
  storeKey: string,
  fn: (lock: Lock) => T | Promise<T>,
  options: ResolvedShareOptions,
  completedSinceArrival: () => Promise<SharedOutcome | undefined>,
): Promise<RunAttempt<T>> {
  const keepMs = Math.max(options.shareForMs, options.ttlMs);
  try {
    const value = await host.using(
      key,
      async (lock) => {
        const done = await completedSinceArrival();
        if (done) return sharedValue<T>(key, done);
        const store = (stored: string): Promise<unknown> =>
          host.results.put(storeKey, lock.owner, stored, keepMs).catch(() => false);
        let result: T;
        try {
          result = await fn(lock);
        } catch (error) {
          await store(encodeError(error));
          throw error;
        }
        let encoded: { encoded: string; shared: unknown };
        try {
          encoded = encodeResult(key, result, options.maxResultBytes);
        } catch (error) {
          await store(encodeError(error));
          throw error;
        }
        await store(encoded.encoded);
        return encoded.shared as T;
      },
      { ttl: options.ttlMs, wait: 0, ...(options.signal ? { signal: options.signal } : {}) },
    );
    return { ran: true, value };
  } catch (error) {
    if (error instanceof LockNotAcquiredError && error.key === key) {
      return { ran: false, retryAfterMs: error.retryAfterMs };
    }
    throw error;
  }
}

/** A sleep that a release notification ends early; a notification while awake is kept. */
class Wakeup {
  #pending = false;
  #end: (() => void) | undefined;

  wake(): void {
    this.#pending = true;
    this.#end?.();
  }

  /** Resolves `true` when woken (now or during the sleep), `false` when `ms` passed. */
  async sleep(
    clock: MonotonicClock,
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (!this.#pending) {
      const woken = new AbortController();
      this.#end = () => woken.abort();
      try {
        await sleepOn(clock, ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
      } catch (error) {
        if (!woken.signal.aborted) throw error;
      } finally {
        this.#end = undefined;
      }
    }
    const woke = this.#pending;
    this.#pending = false;
    return woke;
  }
}
