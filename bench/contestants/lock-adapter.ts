/** A lock taken through a {@link LockAdapter}. */
export interface HeldLock {
  /** Gives the lock back; rejects when the library reports that it was not held any more. */
  release(): Promise<void>;
}

/**
 * One lock library (or the raw commands) reduced to what the scenarios do with a lock, so that
 * every scenario runs every library the same way.
 */
export interface LockAdapter {
  readonly name: string;
  /** How it is set up, for the report (markdown). */
  readonly description: string;
  /** Takes `key` for `ttlMs`, waiting the library's own way while another holder has it. */
  acquire(key: string, ttlMs: number): Promise<HeldLock>;
  /**
   * Takes `key` and keeps it renewed in the background until released; absent when the library
   * has no automatic renewal.
   */
  hold?(key: string, ttlMs: number): Promise<HeldLock>;
  /** Releases what the adapter opened itself (never the Redis clients it was given). */
  close(): Promise<void>;
}
