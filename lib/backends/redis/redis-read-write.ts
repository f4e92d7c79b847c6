import { InvalidLockOptionsError, type LockBackendError } from '../../contract/errors.js';
import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { ReadWriteAcquireOptions, ReadWriteLocks } from '../../contract/read-write-locks.js';
import { MAX_BATCH, type RedisContext } from './redis-context.js';
import { READ_HOLDS_MARK } from './scripts/lock-value.lua.js';
import { READ_WRITE_ACQUIRE } from './scripts/read-write-acquire.lua.js';
import { READ_WRITE_EXTEND } from './scripts/read-write-extend.lua.js';
import { READ_WRITE_RELEASE } from './scripts/read-write-release.lua.js';

/**
 * Read-write locks on Redis. The write hold is the key's mutex lease (the lock key's string), so
 * the mutex's `extend`, `inspect` and `release` serve it and plain locks exclude it. Read holds are
 * a sorted set at the lock key itself (owner → expiry, marked by `READ_HOLDS_MARK`), so a plain
 * acquire misses while they live, with their tokens in `{key}:readers`; waiters' tickets are
 * `{key}:rw-queue` and `{key}:rw-tickets`. Every key of a lock shares its hash tag: one Cluster
 * slot. One script run per acquire and release; extends are batched per server (per slot on a
 * Cluster, where a stopped master fails only its holds).
 *
 * @example
 * ```ts
 * await backend.readWrite.acquire('locker:catalog', owner, 30_000, {
 *   mode: 'read', fair: false, ticketTtlMs: 3_000, join: true,
 * });
 * ```
 */
export class RedisReadWriteLocks implements ReadWriteLocks {
  constructor(private readonly context: RedisContext) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    { mode, fair, ticketTtlMs, join }: ReadWriteAcquireOptions,
  ): Promise<AcquireResult> {
    if (owner === READ_HOLDS_MARK) {
      throw new InvalidLockOptionsError(
        'owner',
        `"${READ_HOLDS_MARK}" is reserved by RedisLockBackend for read holds`,
      );
    }
    const context = this.context;
    context.checkServerOnce();
    try {
      const result = await context.run(READ_WRITE_ACQUIRE, {
        key,
        owner,
        ttlMs,
        mode,
        fair,
        ticketTtlMs,
        join,
        fenceRetentionMs: context.fenceRetentionMs,
      });
      return await context.replicated(key, result, () => this.#release(key, owner));
    } catch (error) {
      throw context.error('acquire', key, error);
    }
  }

  /**
   * Extends read holds, in order, in runs of at most {@link MAX_BATCH}. Each slot's holds settle
   * on their own: those of a slot whose master could not extend them get its error, the others
   * their answers. Rejects only when every hold failed.
   */
  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const context = this.context;
    context.checkServerOnce();
    if (leases.length === 0) return [];
    let results: ExtendResult[];
    try {
      results = await context.perSlot([...leases], (group) => this.#extendChunks(group), 'extend');
    } catch (error) {
      throw context.error('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
    }
    const failures = results.filter(
      (result): result is LockBackendError => typeof result === 'object',
    );
    if (failures.length === leases.length) throw failures.at(-1)!;
    return results;
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.#release(key, owner).catch((error: unknown) => {
      throw this.context.error('release', key, error);
    });
  }

  async #extendChunks(holds: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const results: ExtendResult[] = [];
    for (let i = 0; i < holds.length; i += MAX_BATCH) {
      results.push(...(await this.context.run(READ_WRITE_EXTEND, holds.slice(i, i + MAX_BATCH))));
    }
    return results;
  }

  #release(key: string, owner: string): Promise<boolean> {
    return this.context.run(READ_WRITE_RELEASE, { key, owner });
  }
}
