import { createRequire } from 'node:module';
import type { CronTime } from 'cron';
import requirePeer from '../backends/shared/require-peer.cjs';
import { InvalidLockOptionsError } from '../contract/errors.js';

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

  /**
   * Throws the `cron` package's error for an invalid expression or time zone, and
   * `InvalidLockOptionsError` (naming `where`) when that package is not installed.
   */
  constructor(
    readonly expression: string,
    timeZone?: string,
    utcOffset?: number,
    where?: string,
  ) {
    const Time = loadCronTime(where);
    this.#time =
      utcOffset === undefined
        ? new Time(expression, timeZone)
        : new Time(expression, null, utcOffset);
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

/**
 * The `cron` package's `CronTime`, loaded when the first `@SingletonCron()` job is declared, never
 * by importing nestjs-locker. It is the copy `@nestjs/schedule` depends on and fires the jobs with,
 * so a tick is named by the same rules that fired it (and a strict installer such as pnpm needs no
 * `cron` of the app's own); else the app's own `cron`.
 */
function loadCronTime(where: string | undefined): typeof CronTime {
  try {
    return loadCron().CronTime;
  } catch (error) {
    throw new InvalidLockOptionsError(
      '@SingletonCron',
      `needs the "cron" package, which @nestjs/schedule depends on: npm install @nestjs/schedule (${String(error)})`,
      where,
    );
  }
}

function loadCron(): { CronTime: typeof CronTime } {
  let schedule: string;
  try {
    schedule = requirePeer.resolve('@nestjs/schedule');
  } catch {
    return requirePeer('cron') as { CronTime: typeof CronTime };
  }
  return createRequire(schedule)('cron') as { CronTime: typeof CronTime };
}

function offsetZone(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
