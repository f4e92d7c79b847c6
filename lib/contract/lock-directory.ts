/**
 * The directory capability: what a store can tell about everything under a prefix, for a view of
 * the whole system (the lock dashboard) rather than of one key. Two parts:
 *
 * - **Listing**: every live lease whose key starts with a prefix: held mutexes (fair and
 *   multi-key holds included, one entry per key), each permit of a semaphore, each read hold.
 * - **Instance records**: each running instance writes a small record (a JSON payload it chooses)
 *   that the store keeps for a ttl, as a lease: an instance that stops renewing it disappears.
 *   Records live apart from leases: they are never listed as leases and never collide with a key.
 *
 * A store that cannot list (or can only list at a cost it will not pay) leaves `directory`
 * undefined, and the dashboard says so.
 */

/** One live lease a listing found. */
export interface ListedLease {
  /** The full key, prefix included. */
  readonly key: string;
  /** The holder's owner token (the dashboard shows only the instance part of it). */
  readonly owner: string;
  readonly fencingToken: bigint;
  /** Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
  /** `'mutex'` for an exclusive hold (a write hold too), `'permit'` for one permit of a semaphore, `'read'` for one read hold. */
  readonly kind: 'mutex' | 'permit' | 'read';
}

/** What {@link LockDirectory.list} found. */
export interface LeaseListing {
  /** The live leases, sorted by key then fencing token. */
  readonly leases: readonly ListedLease[];
  /** `true` when there were more than the `limit` asked for; `leases` then holds `limit` of them. */
  readonly truncated: boolean;
  /** The store's clock when it listed, Unix epoch ms: compare `expiresAt` with it, not with the local clock. */
  readonly now: number;
}

/** One instance's record, as {@link LockDirectory.instances} reads it. */
export interface InstanceRecord {
  /** The id the instance announced itself under. */
  readonly id: string;
  /** The payload it wrote last. */
  readonly payload: string;
  /** Unix epoch milliseconds of the store's clock. */
  readonly expiresAt: number;
}

/** Instance records and their listing together. */
export interface InstanceListing {
  /** The live records, sorted by id. */
  readonly instances: readonly InstanceRecord[];
  /** The store's clock when it read them, Unix epoch ms. */
  readonly now: number;
}

/** The largest payload {@link LockDirectory.announce} must accept, in bytes (UTF-8). */
export const MAX_INSTANCE_PAYLOAD_BYTES = 64 * 1024;

/**
 * Listing of leases and records of running instances under a prefix. Rejects with a
 * `LockBackendError` when the store cannot be reached.
 *
 * @example
 * ```ts
 * const { leases, now } = await backend.directory.list('locker:', 1000);
 * for (const lease of leases) console.log(lease.key, lease.expiresAt - now, 'ms left');
 * ```
 */
export interface LockDirectory {
  /**
   * Every live lease whose key starts with `prefix` (expired ones are left out even when the store
   * has not removed them yet), at most `limit` of them.
   */
  list(prefix: string, limit: number): Promise<LeaseListing>;

  /**
   * Writes (or overwrites) the record of instance `id` under `prefix`, kept `ttlMs` from now by the
   * store's clock. `payload` is at most {@link MAX_INSTANCE_PAYLOAD_BYTES}.
   */
  announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void>;

  /** Removes the record of instance `id` under `prefix`; a missing record is not an error. */
  withdraw(prefix: string, id: string): Promise<void>;

  /** The live records under `prefix` (expired ones left out). */
  instances(prefix: string): Promise<InstanceListing>;
}
