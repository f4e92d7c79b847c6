import { StoreTimeoutError } from './with-timeout.js';

/** How often pending calls are checked for their deadline, in ms. */
const SWEEP_EVERY_MS = 10;

/** A call in flight as its deadline sees it. */
export interface Timed {
  /** Monotonic ms after which the call stops waiting. */
  readonly deadlineAt: number;
  /** Whether the call already ended (answered, or decided). */
  readonly ended: boolean;
  /** Ends the call: its deadline passed. */
  expire(): void;
}

/**
 * The deadlines of a backend's store calls, checked by one interval that runs only while calls
 * are in flight (and one sweep longer), instead of a timer armed and cleared for every call: that
 * costs about 1 µs and four promises a call (10 µs for a quorum round's timer), a few percent of
 * an uncontended acquire + release. A call that ends by itself is not removed: the next sweep drops
 * it, so adding one costs an array push and ending it nothing. A call is given up on within
 * `SWEEP_EVERY_MS` after its deadline.
 */
export class Deadlines {
  #pending: Timed[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** Calls `entry.expire()` once its deadline passed, unless it has ended by then. */
  add(entry: Timed): void {
    this.#pending.push(entry);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), SWEEP_EVERY_MS);
      this.#timer.unref();
    }
  }

  /**
   * `call`'s outcome, or a rejection with {@link StoreTimeoutError} when it has not settled `ms`
   * after now (the call itself goes on: its outcome is unknown).
   */
  bound<T>(call: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = new BoundCall(performance.now() + ms, () => reject(new StoreTimeoutError(ms)));
      this.add(entry);
      call.then(
        (value) => {
          entry.ended = true;
          resolve(value);
        },
        (error: unknown) => {
          entry.ended = true;
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    const pending = this.#pending;
    if (pending.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    const waiting: Timed[] = [];
    this.#pending = waiting;
    for (const entry of pending) {
      if (entry.ended) continue;
      if (entry.deadlineAt <= now) entry.expire();
      else waiting.push(entry);
    }
  }
}

/** One bounded call: its deadline, and the rejection it gets when that passes first. */
class BoundCall implements Timed {
  ended = false;

  constructor(
    readonly deadlineAt: number,
    private readonly onTimeout: () => void,
  ) {}

  expire(): void {
    this.ended = true;
    this.onTimeout();
  }
}
