import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { attemptInQueue } from './zookeeper-attempt.js';
import type { ZooKeeperCalls } from './zookeeper-calls.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import { extendEach, extendNode } from './zookeeper-extend.js';
import { releaseNodes } from './zookeeper-release.js';

/**
 * Semaphores on the same queue: the first `permits` live nodes hold, each with its own lease,
 * owner and fencing token (its node's `czxid`). A waiter watches the holders ahead of it.
 */
export class ZooKeeperSemaphores implements Semaphores {
  constructor(
    private readonly context: ZooKeeperContext,
    private readonly calls: ZooKeeperCalls,
  ) {}

  acquire(key: string, owner: string, ttlMs: number, permits: number): Promise<AcquireResult> {
    return this.calls.run('acquire', key, () =>
      attemptInQueue(this.context, key, owner, ttlMs, {
        holders: permits,
        permits,
        fair: undefined,
      }),
    );
  }

  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendEach(
      leases,
      (lease) => lease.key,
      (lease) =>
        this.calls.run('extend', lease.key, () =>
          extendNode(this.context, lease.key, lease.owner, lease.ttlMs, undefined),
        ),
    );
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.calls.run('release', key, () => releaseNodes(this.context, key, owner));
  }
}
