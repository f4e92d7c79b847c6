/**
 * SQLSTATE classes of errors that the values of one item of a batched statement can cause: data
 * exceptions (22, such as a NUL byte in a text value), integrity violations (23), a deadlock or
 * serialization failure (40), a value over a limit (54, such as an index row too large). After one
 * of these the batch is re-run item by item, so that the one bad item fails alone. Other failures
 * (a lost connection, a timeout, a missing table) would fail every item the same way, and re-running
 * them one by one would only multiply the wait.
 */
const ITEM_ERROR_CLASSES = new Set(['22', '23', '40', '54']);

/**
 * Whether a failed batched statement may have failed for one of its items only (see
 * {@link ITEM_ERROR_CLASSES}); such a statement changed nothing, so re-running its items one by one
 * is safe.
 *
 * @example
 * ```ts
 * if (round.length > 1 && mayBeOneItem(error)) await eachAlone(round);
 * ```
 */
export function mayBeOneItem(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && ITEM_ERROR_CLASSES.has(code.slice(0, 2));
}
