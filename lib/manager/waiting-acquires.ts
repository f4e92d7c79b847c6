import type { LockMode } from '../contract/lock-backend.js';
import { type MonotonicClock, wallNow } from './clock.js';

/** An acquire of this manager that is waiting for its lock, as `LockManager.waiting()` lists it. */
export interface WaitingAcquire {
  /** The key as the caller named it (several keys joined by `,`). */
  readonly key: string;
  /** Each key it waits for, as the caller named them. */
  readonly keys: readonly string[];
  /** When it started to wait, Unix epoch ms. */
  readonly since: number;
  /** A fair waiter, queued in the store. */
  readonly fair: boolean;
  /** For a read-write lock: the mode it waits for. */
  readonly mode?: LockMode;
  /** For a semaphore: the permits of the key. */
  readonly permits?: number;
}

/** What a waiting acquire says of itself. */
export interface WaitDescription {
  readonly key: string;
  readonly keys: readonly string[];
  readonly kind: { readonly queued: boolean };
  readonly mode?: LockMode | undefined;
  readonly permits?: number | undefined;
}

/**
 * The acquires of one manager that wait right now: an acquire enters when its first attempt
 * misses and it goes on waiting, and leaves when the wait ends however it ends. An acquire granted
 * at once never enters, so the hot path pays nothing.
 */
export class WaitingAcquires {
  readonly #waits = new Map<WaitDescription, number>();

  constructor(private readonly clock: MonotonicClock) {}

  begin(wait: WaitDescription): void {
    this.#waits.set(wait, wallNow(this.clock));
  }

  end(wait: WaitDescription): void {
    this.#waits.delete(wait);
  }

  /** The waits in progress, oldest first. */
  list(): WaitingAcquire[] {
    return [...this.#waits].map(([wait, since]) => ({
      key: wait.key,
      keys: wait.keys,
      since,
      fair: wait.kind.queued,
      ...(wait.mode === undefined ? {} : { mode: wait.mode }),
      ...(wait.permits === undefined || wait.permits === 1 ? {} : { permits: wait.permits }),
    }));
  }
}
