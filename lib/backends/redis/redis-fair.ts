import type { FairAcquireOptions, FairLocks } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import type { RedisContext } from './redis-context.js';
import { FAIR_ACQUIRE } from './scripts/fair-acquire.lua.js';
import { FAIR_RELEASE } from './scripts/fair-release.lua.js';

/**
 * Fair locks on Redis: a queue and waiter tickets beside the lock key, under its hash tag, so a
 * fair lock lives on one Cluster slot like a plain one. One script run per call (rarer than plain
 * locks, so not coalesced per tick). A release hands the lease to the head of the queue and tells
 * its process on that process's inbox channel. A granted fair lease is a plain lease: the mutex's
 * `extend`, `inspect` and `subscribe` serve it.
 *
 * @example
 * ```ts
 * await backend.fair.acquire('locker:report', owner, 30_000, { ticketTtlMs: 3_000, join: true });
 * ```
 */
export class RedisFairLocks implements FairLocks {
  constructor(private readonly context: RedisContext) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    { ticketTtlMs, join }: FairAcquireOptions,
  ): Promise<AcquireResult> {
    const context = this.context;
    context.checkServerOnce();
    try {
      const result = await context.run(FAIR_ACQUIRE, {
        key,
        owner,
        ttlMs,
        ticketTtlMs,
        join: join !== false,
        fenceRetentionMs: context.fenceRetentionMs,
        inbox: join !== false ? await context.inbox() : '',
      });
      return await context.replicated(key, result, () => this.#release(key, owner));
    } catch (error) {
      throw context.error('acquire', key, error);
    }
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.#release(key, owner).catch((error: unknown) => {
      throw this.context.error('release', key, error);
    });
  }

  #release(key: string, owner: string): Promise<boolean> {
    const { fenceRetentionMs } = this.context;
    return this.context.run(FAIR_RELEASE, { key, owner, fenceRetentionMs });
  }
}
