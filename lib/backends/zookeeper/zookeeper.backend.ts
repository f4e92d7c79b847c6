import type { FairLocks } from '../../contract/fair-locks.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  Unsubscribe,
} from '../../contract/lease.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import type { LockDirectory } from '../../contract/lock-directory.js';
import type { MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { loadZooKeeperClient } from './load-zookeeper-client.js';
import { attemptInQueue } from './zookeeper-attempt.js';
import { ZooKeeperCalls } from './zookeeper-calls.js';
import { ZooKeeperContext } from './zookeeper-context.js';
import { ZooKeeperDirectory } from './zookeeper-directory.js';
import { extendEach, extendNode } from './zookeeper-extend.js';
import { ZooKeeperFairLocks } from './zookeeper-fair.js';
import { inspectQueue } from './zookeeper-inspect.js';
import { ZooKeeperJanitor } from './zookeeper-janitor.js';
import { ZooKeeperMultiKeyLocks } from './zookeeper-multi-key.js';
import { type ZooKeeperLockBackendOptions, zooKeeperSettings } from './zookeeper-options.js';
import { releaseNodes } from './zookeeper-release.js';
import { ZooKeeperSemaphores } from './zookeeper-semaphore.js';
import { ZooKeeperSession } from './zookeeper-session.js';
import { ZooKeeperWakeups } from './zookeeper-wakeups.js';

export type { ZkClientLike } from './zookeeper-client.js';
export type { ZooKeeperLockBackendOptions } from './zookeeper-options.js';

/**
 * Locks in Apache ZooKeeper (3.5 and later) through `node-zookeeper-client`, with the lock recipe
 * of ephemeral sequential znodes plus leases: each key is a persistent znode
 * `<rootPath>/<encoded key>`, and each holder or waiter an ephemeral sequential child named with
 * its owner. The first live child holds (the first N for a semaphore).
 *
 * - Liveness comes from the session: a holder whose process dies or is cut off from the ensemble
 *   loses its node when its session expires (`sessionTimeoutMs`).
 * - The lock's ttl is honoured with the store's clock: a node's deadline is its `mtime` (stamped
 *   by the ZooKeeper leader) plus the ttl in its data; a contender removes an expired holder
 *   with a version-checked delete, and an extend re-stamps `mtime` with a version-checked write.
 * - The fencing token is the node's `czxid`: zxids rise across the whole ensemble and across
 *   leader changes, and a later holder's node was created later.
 * - Waiters watch only the node they wait behind: a release wakes one waiter (fair) or the
 *   waiters of that holder, never a herd of the whole queue.
 *
 * Fair locks, semaphores, multi-key locks and the directory are offered (`backend.fair`,
 * `backend.semaphore`, `backend.multiKey`, `backend.directory`); read-write locks, deadlock
 * detection and shared results are not (see docs/zookeeper.md).
 *
 * @example
 * ```ts
 * new ZooKeeperLockBackend({ connectionString: 'zk1:2181,zk2:2181,zk3:2181/apps' })
 * new ZooKeeperLockBackend({ client })   // your node-zookeeper-client client; you close it
 * ```
 */
export class ZooKeeperLockBackend implements LockBackend {
  readonly name = 'zookeeper';
  readonly fair: FairLocks;
  readonly semaphore: Semaphores;
  readonly multiKey: MultiKeyLocks;
  readonly directory: LockDirectory;
  readonly #session: ZooKeeperSession;
  readonly #context: ZooKeeperContext;
  readonly #wakeups: ZooKeeperWakeups;
  readonly #janitor: ZooKeeperJanitor;
  readonly #calls = new ZooKeeperCalls();
  #closed = false;

  constructor(options: ZooKeeperLockBackendOptions) {
    const settings = zooKeeperSettings(options);
    this.#session = new ZooKeeperSession(settings, loadZooKeeperClient);
    this.#wakeups = new ZooKeeperWakeups(this.#session);
    this.#janitor = new ZooKeeperJanitor(this.#session);
    this.#context = new ZooKeeperContext(
      this.#session,
      settings.rootPath,
      this.#wakeups,
      settings.sessionTimeoutMs,
      this.#janitor,
    );
    this.fair = new ZooKeeperFairLocks(this.#context, this.#calls);
    this.semaphore = new ZooKeeperSemaphores(this.#context, this.#calls);
    this.multiKey = new ZooKeeperMultiKeyLocks(this.#context, this.#calls);
    this.directory = new ZooKeeperDirectory(this.#context, this.#calls);
  }

  /**
   * The longest ttl a lock may have here: the session timeout (as granted once connected). The
   * manager refuses a longer one; see `LockBackend.maxTtlMs`.
   */
  get maxTtlMs(): number {
    return this.#context.maxTtlMs;
  }

  acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.#calls.run('acquire', key, () =>
      attemptInQueue(this.#context, key, owner, ttlMs, {
        holders: 1,
        permits: undefined,
        fair: undefined,
      }),
    );
  }

  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendEach(
      leases,
      (lease) => lease.key,
      (lease) =>
        this.#calls.run('extend', lease.key, () =>
          extendNode(this.#context, lease.key, lease.owner, lease.ttlMs, undefined),
        ),
    );
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.#calls.run('release', key, () => releaseNodes(this.#context, key, owner));
  }

  inspect(key: string): Promise<LeaseInfo | null> {
    return this.#calls.run('inspect', key, () => inspectQueue(this.#context, key));
  }

  /**
   * Calls `onRelease` when a node that this backend's attempts on `key` wait behind is removed
   * (released, expired, or its session ended). Never with a {@link Handoff}: the head waiter
   * takes its lease with its next attempt, which the wake-up prompts.
   */
  subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    return Promise.resolve(this.#wakeups.subscribe(key, () => onRelease()));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#janitor.close();
    await this.#session.close();
  }
}
