import type { AcquireResult, ExtendResult, LeaseToExtend } from './lease.js';

/** How a read-write lock is held: shared by any number of readers, or by one writer alone. */
export type LockMode = 'read' | 'write';

/** How a read-write acquire queues. */
export interface ReadWriteAcquireOptions {
  readonly mode: LockMode;
  /**
   * Strict arrival order: a writer enters only from the head of the queue. Without it, writers
   * race each other for a free key, but never past readers queued ahead of them.
   */
  readonly fair: boolean;
  /** How long a waiter's ticket lives without a new attempt, in ms. */
  readonly ticketTtlMs: number;
  /**
   * When the key is busy, take (or keep) a place in its queue. `false` for a single attempt
   * (`tryAcquire`), which must leave no ticket behind.
   */
  readonly join: boolean;
}

/**
 * Read-write locks: any number of read holds of a key at once, or one write hold alone. Every hold
 * is a lease of its own (owner check, fencing token, expiry by the store's clock).
 *
 * **The write hold is the key's mutex lease.** It is stored where `LockBackend.acquire` stores one,
 * is extended with `LockBackend.extend` and reported by `LockBackend.inspect` like any, so a plain
 * lock of the key and a write hold exclude each other and the read holds alike: a plain
 * `LockBackend.acquire` misses while read holds live. Read holds are extended with
 * {@link ReadWriteLocks.extend}; `inspect` reports them with `mode: 'read'` and their number in
 * `holders`. One fence serves both: each hold granted gets a token above every token of the key
 * before it, so a writer's token is above those of all the reads before it.
 *
 * **Waiting.** A caller that misses with `join` takes a ticket in the key's queue (arrival order),
 * kept alive by its attempts (`ticketTtlMs`); a waiter that stops attempting (it died) is skipped
 * once its ticket expires. Then:
 * - a read is granted when no write hold lives and no live write ticket is ahead of it: once a
 *   writer waits, readers arriving after it wait behind it (no writer starvation), and the readers
 *   queued behind a writer all enter together when it leaves;
 * - a write is granted when no hold lives and no live read ticket is ahead of it, and with `fair`
 *   when no live ticket at all is ahead of it.
 * A miss answers `retryAfterMs` from the holds that block it, when known. Releases that may let a
 * waiter in (a write hold, the last read hold, a ticket) wake the key's waiters through
 * `LockBackend.subscribe`, with no hand-off.
 *
 * @example
 * ```ts
 * const result = await backend.readWrite.acquire('locker:catalog', owner, 30_000, {
 *   mode: 'read', fair: false, ticketTtlMs: 3_000, join: true,
 * });
 * ```
 */
export interface ReadWriteLocks {
  /**
   * Takes a hold of `key` in `options.mode` for `owner`, or (with `join`) takes or keeps `owner`'s
   * place in the queue. Idempotent for an owner that already holds `key` in that mode: the lease
   * is refreshed to `ttlMs` and the same token returned. An owner never asks in both modes.
   */
  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: ReadWriteAcquireOptions,
  ): Promise<AcquireResult>;

  /**
   * Extends many read holds at once, each only if `owner` still holds it; answers as
   * `LockBackend.extend` does, in the order of `leases`. (Write holds are mutex leases.)
   */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]>;

  /**
   * Ends `owner`'s hold of `key`, whichever the mode, or its place in the queue, and wakes the
   * key's waiters when that may let one in. Resolves `true` when this call ended a hold.
   */
  release(key: string, owner: string): Promise<boolean>;
}
