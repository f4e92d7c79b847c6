import { Injectable } from '@nestjs/common';
import { Deadlines } from '../contract/deadlines.js';
import { LockManagerClosedError } from '../contract/errors.js';
import type { LockKeys } from '../manager/lock-manager.js';

/** Bounds the shutdown's wait for calls in progress; it keeps the process up meanwhile. */
const shutdownDeadlines = new Deadlines({ keepsProcessAlive: true });

/**
 * What the Nest layer adds to the manager's locks for a graceful shutdown, shared by both ways in
 * (`LockService` for user code, `LockInterceptor` for `@Locked()` and `@SingletonCron()`): it counts
 * the calls in progress, and once the module starts shutting down it refuses new locks with
 * `LockManagerClosedError` and waits (bounded) for those calls.
 */
@Injectable()
export class LockGate {
  readonly #inFlight = new Set<Promise<unknown>>();
  #draining = false;

  /** Throws `LockManagerClosedError` once the module is shutting down. */
  admit(key: LockKeys): void {
    if (this.#draining)
      throw new LockManagerClosedError(typeof key === 'string' ? key : key.join(','));
  }

  /** Counts `call` as in progress until it settles; returns it. */
  track<T>(call: Promise<T>): Promise<T> {
    this.#inFlight.add(call);
    const forget = (): void => {
      this.#inFlight.delete(call);
    };
    call.then(forget, forget);
    return call;
  }

  /** How many tracked calls are running. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops admitting new locks and waits up to `timeoutMs` for the calls in progress; `true` when
   * they all finished in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    if (this.#inFlight.size === 0) return true;
    const settled = Promise.allSettled([...this.#inFlight]);
    return shutdownDeadlines.bound(settled, timeoutMs).then(
      () => true,
      () => false,
    );
  }
}
