import type { LockBackendError } from '../../contract/errors.js';
import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { Semaphores } from '../../contract/semaphores.js';
import type { RedisContext } from './redis-context.js';
import { SEMAPHORE_ACQUIRE } from './scripts/semaphore-acquire.lua.js';
import { SEMAPHORE_EXTEND } from './scripts/semaphore-extend.lua.js';
import { SEMAPHORE_RELEASE } from './scripts/semaphore-release.lua.js';

/**
 * Semaphores on Redis: the lock key is a sorted set of holders scored by their permit's expiry,
 * with a hash of their fencing tokens beside it. One script run per acquire and release; extends
 * are batched per server (per slot on a Cluster, where a stopped master fails only its permits).
 *
 * @example
 * ```ts
 * await backend.semaphore.acquire('locker:partner-api', owner, 30_000, 4);
 * ```
 */
export class RedisSemaphores implements Semaphores {
  constructor(private readonly context: RedisContext) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    permits: number,
  ): Promise<AcquireResult> {
    const context = this.context;
    context.checkServerOnce();
    try {
      const { fenceRetentionMs } = context;
      const result = await context.run(SEMAPHORE_ACQUIRE, {
        key,
        owner,
        ttlMs,
        permits,
        fenceRetentionMs,
      });
      return await context.replicated(key, result, () => this.#release(key, owner));
    } catch (error) {
      throw context.error('acquire', key, error);
    }
  }

  /**
   * Extends permits, in order. Each slot's permits settle on their own: those of a slot whose
   * master could not extend them get its error, the others their answers. Rejects only when
   * every permit failed.
   */
  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const context = this.context;
    context.checkServerOnce();
    if (leases.length === 0) return [];
    let results: ExtendResult[];
    try {
      results = await context.perSlot(
        [...leases],
        (group) => context.run(SEMAPHORE_EXTEND, group),
        'extend',
      );
    } catch (error) {
      throw context.error('extend', undefined, error);
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

  #release(key: string, owner: string): Promise<boolean> {
    return this.context.run(SEMAPHORE_RELEASE, { key, owner });
  }
}
