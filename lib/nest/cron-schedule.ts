import { CronTime } from 'cron';

/** How far back from "now" a fired job looks for the scheduled time it fired for. */
const LOOKBACK_MS = 10_000;

/**
 * A cron expression's schedule, used to name each tick by its nominal fire time. Every instance
 * computes the same nominal time for the same tick whatever its clock skew (it fires when its own
 * clock reaches that time), so "job X at 12:00:05.000" is the same claim everywhere.
 */
export class CronSchedule {
  readonly #time: CronTime;
  readonly #zone: string | undefined;

  /** Throws the `cron` package's error for an invalid expression or time zone. */
  constructor(
    readonly expression: string,
    timeZone?: string,
    utcOffset?: number,
  ) {
    this.#time =
      utcOffset === undefined
        ? new CronTime(expression, timeZone)
        : new CronTime(expression, null, utcOffset);
    this.#zone = timeZone ?? (utcOffset === undefined ? undefined : offsetZone(utcOffset));
  }

  /**
   * The latest scheduled time at or before `now` (Unix ms), or `undefined` when there was none in
   * the last 10 seconds (the job was fired by hand, or far too late).
   */
  nominalTickAt(now: number): number | undefined {
    let tick = this.#next(now - LOOKBACK_MS);
    if (tick > now) return undefined;
    for (;;) {
      const next = this.#next(tick);
      if (next > now) return tick;
      tick = next;
    }
  }

  /** How long a tick's claim must outlive it: twice the period, from 10 s up to 1 h. */
  claimTtlAfter(tick: number): number {
    return Math.min(3_600_000, Math.max(10_000, 2 * (this.#next(tick) - tick)));
  }

  #next(from: number): number {
    return this.#time.getNextDateFrom(new Date(from), this.#zone).toMillis();
  }
}

function offsetZone(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
