/** Options of `instrumentLockManager()` and of `LockModule`'s `telemetry` option. */
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
