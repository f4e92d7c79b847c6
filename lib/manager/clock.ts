/**
 * A monotonic clock in milliseconds. Local lease deadlines are measured on it, so that a wall-clock
 * jump on this machine can neither stretch nor cut a lease short. Tests inject a fake; a clock that
 * also runs timers (the `ManualClock` of `nestjs-locker/testing`) drives renewals, waits and
 * schedules by hand.
 */
export interface MonotonicClock {
  /** Monotonic milliseconds. */
  now(): number;
  /**
   * Unix epoch milliseconds, for what is named by wall time (a cron tick). Default `Date.now()`.
   */
  wallNow?(): number;
  /**
   * Runs `callback` once `ms` have passed on this clock. Default: Node's `setTimeout`, unref'd
   * when `unref` is set, so a pending renewal never keeps the process alive.
   */
  setTimer?(callback: () => void, ms: number, unref: boolean): ClockTimer;
}

/** A timer started by {@link MonotonicClock.setTimer}. */
export interface ClockTimer {
  /** Stops the timer; a no-op once it fired. */
  cancel(): void;
}

/** `performance.now()`: monotonic, sub-millisecond, unaffected by wall-clock changes. */
export const systemClock: MonotonicClock = { now: () => performance.now() };

/** Starts a timer on `clock`, or on Node's timers when the clock has none. */
export function startTimer(
  clock: MonotonicClock,
  callback: () => void,
  ms: number,
  unref = false,
): ClockTimer {
  if (clock.setTimer) return clock.setTimer(callback, ms, unref);
  const timer = setTimeout(callback, ms);
  if (unref) timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

/** Unix epoch milliseconds on `clock`. */
export function wallNow(clock: MonotonicClock): number {
  return clock.wallNow ? clock.wallNow() : Date.now();
}

/** Sleeps `ms` on `clock`; rejects with the signal's reason when `signal` aborts first. */
export function sleepOn(clock: MonotonicClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = startTimer(
      clock,
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
