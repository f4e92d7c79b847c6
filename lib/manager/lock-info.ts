/** What {@link LockManager.inspect} reports of a key. */
export interface LockInfo {
  /** The key, as given (without the key prefix). */
  readonly key: string;
  readonly fencingToken: bigint;
  /** When the store will expire the lease unless it is renewed (the store's clock). */
  readonly expiresAt: Date;
  /** The owner token, only when this manager holds the lock (owner tokens are not given away). */
  readonly owner?: string;
  /**
   * For a semaphore: how many permits are held. The other fields then describe the holder that
   * took its permit last.
   */
  readonly holders?: number;
  /**
   * `'read'` while read holds of a read-write lock hold the key (`holders` counts them, the other
   * fields describe the read taken last); absent for an exclusive holder, a writer included.
   */
  readonly mode?: 'read';
}

/** One key, or several to take together (all or none). */
export type LockKeys = string | readonly string[];
