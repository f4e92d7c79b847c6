/** The outcome of a shared run, as a store keeps it. */
export interface SharedOutcome {
  /** What the run stored: the manager's serialised result or error. */
  readonly value: string;
  /** How long ago it was stored, by the store's clock, in ms: never above the true age, and at most 1 ms under it. */
  readonly ageMs: number;
}

/**
 * Outcomes of shared runs (`LockService.share`): the caller that holds a key's lock runs the work
 * and stores its outcome here before releasing; callers that waited for that run read it instead of
 * running again. One outcome per key, the last stored.
 *
 * @example
 * ```ts
 * if (await backend.results.put('locker:catalog', owner, '{"ok":true,"value":42}', 60_000)) {
 *   await backend.release('locker:catalog', owner);
 * }
 * const outcome = await backend.results.get('locker:catalog'); // { value, ageMs: 3 }
 * ```
 */
export interface SharedResults {
  /**
   * Stores `value` as the outcome of `key` for `ttlMs`, replacing the one before, only while
   * `owner` holds the key's mutex lease (so a runner whose lease was lost, and taken over, cannot
   * overwrite its successor's outcome). Resolves `false`, storing nothing, when it does not.
   */
  put(key: string, owner: string, value: string, ttlMs: number): Promise<boolean>;

  /** The outcome stored for `key`, or `null` when none lives. */
  get(key: string): Promise<SharedOutcome | null>;
}
