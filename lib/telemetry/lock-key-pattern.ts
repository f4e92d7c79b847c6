/**
 * The default label for a lock key in metrics and spans: its first segment, the rest starred
 * (`'order:42'` → `'order:*'`, `'tenant/7/report'` → `'tenant:*'`, `'nightly'` → `'*'`). Keys hold
 * ids, so the raw key as a label would make one time series per order, user or tick. The keys the
 * module makes from names in code stay whole: `'cron:<job name>'` and `'leader:<key>'`. Pass your
 * own `keyPattern` to `instrumentLockManager()` or the module's `telemetry` option for finer labels.
 *
 * @example
 * ```ts
 * lockKeyPattern('order:42'); // 'order:*'
 * lockKeyPattern('cron:nightly-report'); // 'cron:nightly-report'
 * ```
 */
export function lockKeyPattern(key: string): string {
  if (NAMED_IN_CODE.test(key)) return key;
  const end = key.search(/[:/,]/);
  return end > 0 ? `${key.slice(0, end)}:*` : '*';
}

/** `@SingletonCron()` run locks and `@LeaderElection()` keys: bounded, named by the app's code. */
const NAMED_IN_CODE = /^(?:cron|leader):[^:/,]+$/;
