/**
 * One wait of a call chain that holds locks, as the store's waits-for graph keeps it: the deadlock
 * detector's record. It lives only while the chain waits (refreshed by its attempts), so a chain
 * that died stops counting once its record's short ttl runs out, well before its leases do.
 */
export interface WaitRecord {
  /** Unique per wait: the owner token the waiting acquire will hold the lease under. */
  readonly id: string;
  /** The owner tokens of the leases the waiting call chain holds (each at least one key). */
  readonly holds: readonly string[];
  /** The store keys it waits for: one, or all the keys of a multi-key lock. */
  readonly keys: readonly string[];
}

/** One wait of a cycle the store found. */
export interface WaitCycleMember {
  /** The {@link WaitRecord.id}. */
  readonly id: string;
  /** The store keys it waits for. */
  readonly keys: readonly string[];
  /**
   * When this wait was first published, in Unix epoch milliseconds of the store's clock (with a
   * fraction where the store has finer time): strictly increasing in publish order across the
   * store, so no two waits tie. The wait of a cycle published last gives way.
   */
  readonly since: number;
}

/**
 * The waits-for graph of call chains that hold locks and wait for others: what deadlock detection
 * reads. An edge runs from a wait to every wait whose chain holds a lease on a key it waits for: the
 * mutex lease of the key (plain, fair, multi-key, or a write hold) or any of its read holds. A
 * semaphore is no edge (any one of its holders leaving lets a waiter in), so a cycle through a
 * semaphore is never reported.
 *
 * @example
 * ```ts
 * const cycles = await backend.waits.publish(
 *   { id: waitOwner, holds: [ownerOfA], keys: ['locker:account:B'] }, 3_000, 8,
 * );
 * // [[{ id: waitOwner, keys: ['locker:account:B'], since }, { id: other, keys: ['locker:account:A'], since }]]
 * await backend.waits.withdraw(waitOwner);
 * ```
 */
export interface WaitGraph {
  /**
   * Publishes `record` for `ttlMs` (a refresh of the same `id` keeps its first `since`), then
   * answers the cycles of waits through it, each of at most `maxLength` waits, found in one
   * consistent view of the store: each cycle starts with this record, and each member waits for a
   * key a lease of the next member's chain holds; the last member's chain holds a key this record
   * waits for. `[]` when there is none. A store may stop listing after a few dozen cycles; it must
   * never list a cycle it did not see.
   */
  publish(record: WaitRecord, ttlMs: number, maxLength: number): Promise<WaitCycleMember[][]>;

  /** Withdraws the wait `id`; a no-op when it is gone. */
  withdraw(id: string): Promise<void>;
}
