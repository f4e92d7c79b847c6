import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { Semaphores } from '../../contract/semaphores.js';
import type { MemoryStore } from './memory-store.js';

/** Semaphores in memory: the permits of each key, apart from the mutex entries. */
export class MemorySemaphoreLocks implements Semaphores {
  constructor(private readonly store: MemoryStore) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    permits: number,
  ): Promise<AcquireResult> {
    const now = this.store.nowForAcquire();
    this.store.refuseMutex(key, now);
    return this.store.semaphores.acquire(key, owner, ttlMs, permits, now);
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.store.clock.now();
    return leases.map(({ key, owner, ttlMs }) =>
      this.store.semaphores.extend(key, owner, ttlMs, now),
    );
  }

  async release(key: string, owner: string): Promise<boolean> {
    const released = this.store.semaphores.release(key, owner, this.store.clock.now());
    if (released) this.store.notify(key, undefined);
    return released;
  }
}
