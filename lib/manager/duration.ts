import { InvalidLockOptionsError } from '../contract/errors.js';

/** The units a {@link Duration} string may end with. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/**
 * A length of time: a number of milliseconds, or a string of a number and a unit — `'250ms'`,
 * `'30s'`, `'1.5s'`, `'5m'`, `'1h'`, `'2d'`. Every duration option of the library takes either form;
 * a string is parsed once, where the option is given, and a malformed one is an
 * `InvalidLockOptionsError` naming the option.
 *
 * @example
 * ```ts
 * await locks.acquire('report', { ttl: '2m', wait: '5s' });
 * ```
 */
export type Duration = number | `${number}${DurationUnit}`;

const MS_PER: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)$/;

/**
 * A duration in ms: numbers are returned as they are (the caller checks their range), strings are
 * parsed. Throws an `InvalidLockOptionsError` naming `field` for a string that is not a
 * non-negative number followed by one of `ms`, `s`, `m`, `h`, `d`, or whose value in ms is not a
 * whole number (`'0.5ms'`).
 */
export function parseDuration(value: unknown, field: string, where?: string): unknown {
  if (typeof value !== 'string') return value;
  const match = DURATION.exec(value.trim());
  if (!match) {
    throw new InvalidLockOptionsError(
      field,
      `${JSON.stringify(value)} is not a duration: give milliseconds as a number, or a number and a unit, such as '500ms', '30s', '5m', '1h' or '2d'`,
      where,
    );
  }
  const ms = Number(match[1]) * MS_PER[match[2] as DurationUnit];
  // 1.1s is 1100.0000000000002 in floating point: round away representation noise only.
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6) {
    throw new InvalidLockOptionsError(
      field,
      `${JSON.stringify(value)} is ${ms} ms; durations are whole milliseconds`,
      where,
    );
  }
  return rounded;
}
