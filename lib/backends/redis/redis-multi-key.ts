import type { LockBackendError } from '../../contract/errors.js';
import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import type { MultiKeyLeaseToExtend, MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { RedisContext } from './redis-context.js';
import { EXTEND } from './scripts/extend.lua.js';
import { MULTI_ACQUIRE } from './scripts/multi-acquire.lua.js';
import { RELEASE } from './scripts/release.lua.js';

/**
 * Multi-key locks on one Redis server: every key is a plain lock with one shared fencing token,
 * taken all or none by one script. Not offered on a Cluster, where the keys live on different
 * slots and no script can touch them all.
 *
 * @example
 * ```ts
 * await backend.multiKey?.acquire(['locker:account:1', 'locker:account:2'], owner, 30_000);
 * ```
 */
export class RedisMultiKeyLocks implements MultiKeyLocks {
  constructor(private readonly context: RedisContext) {}

  async acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    const context = this.context;
    context.checkServerOnce();
    try {
      const { fenceRetentionMs } = context;
      // Registered as a sleeper when a local waiter listens on any of the keys (it listens on all).
      const sleeper = keys.map((key) => context.sleeper(key)).find((arg) => arg !== '') ?? '';
      const result = await context.run(MULTI_ACQUIRE, {
        keys,
        owner,
        ttlMs,
        fenceRetentionMs,
        sleeper,
      });
      return await context.replicated(keys[0]!, result, () => this.#release(keys, owner));
    } catch (error) {
      throw context.error('acquire', keys[0], error);
    }
  }

  /**
   * Extends each lease with its own script run, as a whole: its new expiry when the owner still
   * holds every key, `undefined` when it lost any. A lease that failed gets its error, the others
   * their answers; rejects only when every lease failed.
   */
  async extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    const context = this.context;
    context.checkServerOnce();
    let lastError: LockBackendError | undefined;
    const results = await Promise.all(
      leases.map(async ({ keys, owner, ttlMs }): Promise<ExtendResult> => {
        try {
          const expiries = await context.run(
            EXTEND,
            keys.map((key) => ({ key, owner, ttlMs })),
          );
          return expiries.every((expiry) => expiry !== undefined) ? expiries[0] : undefined;
        } catch (error) {
          lastError = context.error('extend', keys[0], error);
          return lastError;
        }
      }),
    );
    if (lastError && results.every((result) => typeof result === 'object')) throw lastError;
    return results;
  }

  release(keys: readonly string[], owner: string): Promise<boolean> {
    return this.#release(keys, owner).catch((error: unknown) => {
      throw this.context.error('release', keys[0], error);
    });
  }

  async #release(keys: readonly string[], owner: string): Promise<boolean> {
    const released = await this.context.run(
      RELEASE,
      keys.map((key) => ({ key, owner })),
    );
    for (const [i, key] of keys.entries()) if (released[i]) this.context.wakeLocal(key);
    return released.some(Boolean);
  }
}
