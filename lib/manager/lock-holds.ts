import { type ClockTimer, type MonotonicClock, startTimer } from './clock.js';
import type { Lock } from './lock.js';

/**
 * One hold of a lock by one section of code (`using`, a `@Locked` method, a cron run), innermost
 * first. A re-entered hold is a frame of its own over the same lock and the same {@link LockHolds}.
 */
export interface HoldFrame {
  readonly scope: object;
  /** The lock's store keys joined with NUL: which lock this frame holds. */
  readonly scopeKey: string;
  readonly lock: Lock;
  readonly holds: LockHolds;
  /** The lock is a read hold (shared): reads enter it side by side, a write never does. */
  readonly reads: boolean;
  readonly parent: HoldFrame | undefined;
}

/** Whether `frame` is `chain` or one of its enclosing frames. */
function encloses(frame: HoldFrame, chain: HoldFrame | undefined): boolean {
  for (let at = chain; at; at = at.parent) if (at === frame) return true;
  return false;
}

/** How a wait for a turn at a re-entered lock ended. */
export type TurnOutcome =
  /** The waiter's frame now holds the lock. */
  | 'entered'
  /** The lock was released or lost meanwhile: take it from the store like anyone else. */
  | 'gone'
  /** `waitMs` ran out with the lock still held by another section. */
  | 'timeout';

interface Waiter {
  readonly frame: HoldFrame;
  readonly settle: (outcome: TurnOutcome) => void;
}

/**
 * The holds of one lock by the sections of code of one call chain: the section that acquired it and
 * every section that re-entered it (a hold count, as Redisson keeps one per thread). The lease is
 * released only when the last hold ends, so a re-entered section that outlives the section it
 * re-entered (started from a timer, not awaited) still runs under the lock, never beside a rival.
 *
 * A section may hold at once when every running hold encloses it: a nested call. A section that
 * runs beside a holding one (two branches of a `Promise.all`, a detached callback) is not nested in
 * it, so it takes turns with it here, in arrival order, as two callers from outside would take
 * turns at the lock itself. Nothing here reaches the store.
 */
export class LockHolds {
  /** The holds running now: one, or a short stack of nested ones. */
  readonly #active: HoldFrame[] = [];
  #waiters: Waiter[] = [];
  #watching = false;

  constructor(private readonly lock: Lock) {}

  /** Whether a section whose call chain is `chain` may hold the lock now. */
  mayEnter(chain: HoldFrame | undefined): boolean {
    for (const hold of this.#active) if (!encloses(hold, chain)) return false;
    return true;
  }

  /** Starts the hold of `frame`. */
  enter(frame: HoldFrame): void {
    this.#active.push(frame);
  }

  /**
   * Ends the hold of `frame` and lets in the waiters that may now hold. `true` when no hold is
   * left and nobody waits: the lease is to be released.
   */
  exit(frame: HoldFrame): boolean {
    const at = this.#active.lastIndexOf(frame);
    if (at !== -1) this.#active.splice(at, 1);
    if (this.#waiters.length > 0) this.#admit();
    return this.#active.length === 0 && this.#waiters.length === 0;
  }

  /**
   * Waits, up to `waitMs`, until `frame` (a section of the call chain `frame.parent`) may hold the
   * lock, and enters it then. Rejects with the signal's reason when `signal` aborts first.
   */
  waitTurn(
    frame: HoldFrame,
    waitMs: number,
    clock: MonotonicClock,
    signal: AbortSignal | undefined,
  ): Promise<TurnOutcome> {
    if (waitMs <= 0) return Promise.resolve('timeout');
    signal?.throwIfAborted();
    this.#watchLock();
    return new Promise<TurnOutcome>((resolve, reject) => {
      let timer: ClockTimer | undefined;
      const done = (): void => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry);
      };
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        done();
        reject(signal?.reason);
      };
      const entry: Waiter = {
        frame,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          done();
          resolve(outcome);
        },
      };
      this.#waiters.push(entry);
      // `wait: Infinity` waits for its turn however long it takes (a timer would fire at once).
      if (Number.isFinite(waitMs)) timer = startTimer(clock, () => entry.settle('timeout'), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Lets in, in arrival order, every waiter that may hold beside the holds running now. */
  #admit(): void {
    for (const waiter of [...this.#waiters]) {
      if (!this.mayEnter(waiter.frame.parent)) continue;
      this.enter(waiter.frame);
      waiter.settle('entered');
    }
  }

  /** A released or lost lock sends its waiters to the store. */
  #watchLock(): void {
    if (this.#watching) return;
    this.#watching = true;
    const onGone = (): void => {
      for (const waiter of [...this.#waiters]) waiter.settle('gone');
    };
    if (this.lock.signal.aborted) queueMicrotask(onGone);
    else this.lock.signal.addEventListener('abort', onGone, { once: true });
  }
}
