import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  Unsubscribe,
} from '../../contract/lease.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import { MemoryDirectory } from './memory-directory.js';
import { MemoryFairLocks } from './memory-fair.js';
import { MemoryMultiKeyLocks } from './memory-multi-key.js';
import { MemoryReadWriteLocks } from './memory-read-write.js';
import { MemoryResults } from './memory-results.js';
import { MemorySemaphoreLocks } from './memory-semaphore.js';
import { MemoryStore, type WallClock } from './memory-store.js';
import { MemoryWaitGraph } from './memory-wait-graph.js';

export type { WallClock } from './memory-store.js';

/** Options of {@link MemoryLockBackend}. */
export interface MemoryLockBackendOptions {
  /** The store's clock; inject a fake one to expire leases without waiting. Default `Date`. */
  clock?: WallClock;
}

/**
 * Locks in this process's memory, with exactly the semantics of the distributed backends: leases
 * that expire by the (injectable) store clock, owner checks, strictly increasing fencing tokens,
 * wake-ups on release, fair queues with hand-off, semaphores, multi-key leases, read-write locks, a waits-for graph for deadlock detection and
 * outcomes of shared runs. For tests, and
 * for a single-process app; it cannot coordinate two processes.
 *
 * Fencing tokens follow the same rule as the Redis backend: the larger of the key's last token + 1
 * and the store clock in microseconds, so they keep increasing even after an entry was dropped.
 *
 * @example
 * ```ts
 * const locks = new LockManager({ backend: new MemoryLockBackend() });
 * ```
 */
export class MemoryLockBackend implements LockBackend {
  readonly name = 'memory';
  readonly fair: MemoryFairLocks;
  readonly semaphore: MemorySemaphoreLocks;
  readonly multiKey: MemoryMultiKeyLocks;
  readonly readWrite: MemoryReadWriteLocks;
  readonly waits: MemoryWaitGraph;
  readonly results: MemoryResults;
  readonly directory: MemoryDirectory;
  readonly #store: MemoryStore;

  constructor(options: MemoryLockBackendOptions = {}) {
    this.#store = new MemoryStore(options.clock ?? Date);
    this.fair = new MemoryFairLocks(this.#store);
    this.semaphore = new MemorySemaphoreLocks(this.#store);
    this.multiKey = new MemoryMultiKeyLocks(this.#store);
    this.readWrite = new MemoryReadWriteLocks(this.#store);
    this.waits = new MemoryWaitGraph(this.#store);
    this.results = new MemoryResults(this.#store);
    this.directory = new MemoryDirectory(this.#store);
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.#store.acquireKeys([key], owner, ttlMs, this.#store.nowForAcquire());
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.#store.clock.now();
    return leases.map(({ key, owner, ttlMs }) => this.#store.extendKeys([key], owner, ttlMs, now));
  }

  async release(key: string, owner: string): Promise<boolean> {
    return this.#store.releaseKeys([key], owner, this.#store.clock.now(), true);
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    const now = this.#store.clock.now();
    const entry = this.#store.liveEntry(key, now);
    if (!entry) {
      return this.#store.semaphores.inspect(key, now) ?? this.#store.readHolds.inspect(key, now);
    }
    return { key, owner: entry.owner!, fencingToken: entry.token, expiresAt: entry.expiresAt };
  }

  async subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    return this.#store.subscribe(key, onRelease);
  }

  /**
   * Subscribing costs nothing here; a waiting acquire subscribes first while others wait on the
   * key (a busy key), and attempts first otherwise, where it most likely gets the key at once.
   */
  subscribed(key: string): boolean {
    return this.#store.hasWaiters(key);
  }

  async close(): Promise<void> {
    this.#store.clearWaiters();
  }
}
