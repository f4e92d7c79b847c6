import type { FairAcquireOptions, FairLocks } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import { attemptInQueue } from './zookeeper-attempt.js';
import type { ZooKeeperCalls } from './zookeeper-calls.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import { releaseNodes } from './zookeeper-release.js';

/**
 * Fair locks on the same queue as the mutex: a waiter's node stays in the queue (its ticket,
 * `ticketTtlMs` from its last attempt, and ephemeral: a dead waiter's session removes it), so
 * waiters are served in the order of their nodes, which is the order they arrived. A waiter
 * watches only the node just ahead of it. The head waiter's next attempt turns its ticket into
 * the lease; until then its ticket keeps the key from anyone barging in.
 */
export class ZooKeeperFairLocks implements FairLocks {
  constructor(
    private readonly context: ZooKeeperContext,
    private readonly calls: ZooKeeperCalls,
  ) {}

  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
  ): Promise<AcquireResult> {
    return this.calls.run('acquire', key, () =>
      attemptInQueue(this.context, key, owner, ttlMs, {
        holders: 1,
        permits: undefined,
        fair: { ticketTtlMs: options.ticketTtlMs, join: options.join },
      }),
    );
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.calls.run('release', key, () => releaseNodes(this.context, key, owner));
  }
}
