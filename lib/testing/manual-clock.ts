import type { WallClock } from '../backends/memory/memory.backend.js';
import { InvalidLockOptionsError } from '../contract/errors.js';
import type { ClockTimer, MonotonicClock } from '../manager/clock.js';
import { type Duration, parseDuration } from '../manager/duration.js';

interface PendingTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Lets every promise chain started by a timer run to its end (memory-backend calls included). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that only moves when the test says so. Give the same one to a `MemoryLockBackend` (as its
 * store clock) and to `LockManager` / `LockTestbed` (as the clock its deadlines, renewals, waits and
 * cron ticks run on), then `await clock.advance('30s')`: leases expire, renewals run and waiters
 * wake exactly as they would in 30 real seconds, in order, without waiting.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const locks = new LockManager({ backend: new MemoryLockBackend({ clock }), clock });
 * const lock = await locks.acquire('report', { ttl: '30s', autoRenew: false });
 * await clock.advance('30s');
 * expect(lock.signal.aborted).toBe(true);
 * ```
 */
export class ManualClock implements MonotonicClock, WallClock {
  #now: number;
  #order = 0;
  #timers = new Set<PendingTimer>();

  /** @param startAt the clock's time, in Unix epoch ms. Default: the real time now. */
  constructor(startAt: number | Date = Date.now()) {
    this.#now = typeof startAt === 'number' ? startAt : startAt.getTime();
  }

  /** The clock's time, in Unix epoch ms (it serves as the monotonic and the wall clock). */
  now(): number {
    return this.#now;
  }

  /** Same as {@link now}. */
  wallNow(): number {
    return this.#now;
  }

  /** How many timers are pending (renewals, waiters, sleeps). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Runs `callback` when the clock has been advanced by `ms`. */
  setTimer(callback: () => void, ms: number): ClockTimer {
    const timer: PendingTimer = {
      at: this.#now + Math.max(0, ms),
      order: this.#order++,
      callback,
    };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /**
   * Moves the clock forward by `by` (ms or a duration string), firing every timer that falls due on
   * the way in time order, and letting the work each one starts settle before the next.
   */
  async advance(by: Duration): Promise<void> {
    const ms = parseDuration(by, 'by');
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new InvalidLockOptionsError('by', `must be a duration of 0 or more, got ${String(by)}`);
    }
    const until = this.#now + ms;
    await settle();
    for (let next = this.#due(until); next; next = this.#due(until)) {
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  /** Moves the clock to `time` (Unix epoch ms or a `Date`), which may not be in its past. */
  async advanceTo(time: number | Date): Promise<void> {
    const at = typeof time === 'number' ? time : time.getTime();
    if (!(at >= this.#now)) {
      throw new InvalidLockOptionsError(
        'time',
        `${new Date(at).toISOString()} is before the clock's time; a ManualClock only moves forward`,
      );
    }
    await this.advance(at - this.#now);
  }

  #due(until: number): PendingTimer | undefined {
    let first: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > until) continue;
      if (!first || timer.at < first.at || (timer.at === first.at && timer.order < first.order)) {
        first = timer;
      }
    }
    return first;
  }
}
