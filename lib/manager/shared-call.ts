import { asBackendError } from '../contract/errors.js';
import type { SharedOutcome, SharedResults } from '../contract/shared-results.js';
import type { MonotonicClock } from './clock.js';
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
}

/**
 * One caller's part in a shared run of `key`, across instances: reuses an outcome stored by a run
 * that completed after this caller arrived (or within `shareForMs` before, when it succeeded);
 * otherwise takes the key's lock (waiting for a run in progress elsewhere), and once it holds it
 * either finds the outcome of the run it waited for or runs `fn` itself and stores the outcome
 * for the others. A run whose holder died leaves no outcome, so exactly one waiter (the next to
 * get the lock) runs it again.
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
  if (options.shareForMs > 0) {
    const recent = await read();
    if (recent && recent.ageMs <= options.shareForMs) {
      const outcome = decodeOutcome(key, recent.value);
      if (outcome.ok) return outcome.value as T;
    }
  }
  const keepMs = Math.max(options.shareForMs, options.ttlMs);
  return host.using(
    key,
    async (lock) => {
      const done = await read();
      // A run that completed after this caller arrived (by the store's clock, within a round
      // trip): the one it waited for.
      if (done && done.ageMs < clock.now() - arrivedAt) {
        const outcome = decodeOutcome(key, done.value);
        if (outcome.ok) return outcome.value as T;
        throw outcome.error;
      }
      const store = (value: string): Promise<unknown> =>
        results.put(storeKey, lock.owner, value, keepMs).catch(() => false);
      let value: T;
      try {
        value = await fn(lock);
      } catch (error) {
        await store(encodeError(error));
        throw error;
      }
      let encoded: { encoded: string; shared: unknown };
      try {
        encoded = encodeResult(key, value, options.maxResultBytes);
      } catch (error) {
        await store(encodeError(error));
        throw error;
      }
      await store(encoded.encoded);
      return encoded.shared as T;
    },
    {
      ttl: options.ttlMs,
      wait: options.waitMs,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}
