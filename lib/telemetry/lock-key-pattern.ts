/**
 * The default label for a lock key in metrics and spans: its first segment, the rest starred
 * (`'order:42'` → `'order:*'`, `'tenant/7/report'` → `'tenant:*'`, `'nightly'` → `'*'`). Keys hold
 * ids, so the raw key as a label would make one time series per order, user or tick. Pass your own
 * `keyPattern` to `instrumentLockManager()` or the module's `telemetry` option for finer labels.
 *
 * @example
 * ```ts
 * lockKeyPattern('order:42'); // 'order:*'
 * ```
 */
export function lockKeyPattern(key: string): string {
  const end = key.search(/[:/,]/);
  return end > 0 ? `${key.slice(0, end)}:*` : '*';
}
