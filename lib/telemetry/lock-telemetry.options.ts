import { InvalidLockOptionsError } from '../contract/errors.js';
import { validateBoolean } from '../manager/validate-options.js';

/**
 * Options of `instrumentLockManager()` and of `LockModule`'s `telemetry` option.
 *
 * @example
 * ```ts
 * LockModule.forRoot({ backend, telemetry: { traces: false, keyPattern: (key) => key.split(':')[0]! } });
 * ```
 */
export interface LockTelemetryOptions {
  /** Record the histograms and counters. Default `true`. */
  metrics?: boolean;
  /** Record spans around acquires and `@Locked()` runs. Default `true`. */
  traces?: boolean;
  /**
   * The `locker.key_pattern` label of a key (as given, without the key prefix). Default
   * {@link lockKeyPattern}: the first segment of the key, the rest starred. It must give a small,
   * bounded set of values: every distinct value is a time series.
   */
  keyPattern?: (key: string) => string;
}

/** What `instrumentLockManager()` set up. */
export interface LockTelemetry {
  /** `false` when `@opentelemetry/api` is not installed (or everything was switched off). */
  readonly active: boolean;
  /** Stops recording. */
  stop(): void;
}

/** Checks telemetry options where they are given; `prefix` names them in errors (`telemetry.`). */
export function validateTelemetryOptions(options: unknown, prefix = ''): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      prefix ? prefix.slice(0, -1) : 'options',
      `must be a boolean or { metrics?, traces?, keyPattern? }, got ${String(options)}`,
    );
  }
  const { metrics, traces, keyPattern } = options as LockTelemetryOptions;
  if (metrics !== undefined) validateBoolean(metrics, `${prefix}metrics`);
  if (traces !== undefined) validateBoolean(traces, `${prefix}traces`);
  if (keyPattern !== undefined && typeof keyPattern !== 'function') {
    throw new InvalidLockOptionsError(`${prefix}keyPattern`, 'must be a function of the key');
  }
}
