import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import type { MultiKeyLeaseToExtend, MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { MemoryStore } from './memory-store.js';

/** Several keys in memory, taken, extended and released together under one token. */
export class MemoryMultiKeyLocks implements MultiKeyLocks {
  constructor(private readonly store: MemoryStore) {}

  async acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.store.acquireKeys(keys, owner, ttlMs, this.store.nowForAcquire());
  }

  async extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.store.clock.now();
    return leases.map(({ keys, owner, ttlMs }) => this.store.extendKeys(keys, owner, ttlMs, now));
  }

  async release(keys: readonly string[], owner: string): Promise<boolean> {
    return this.store.releaseKeys(keys, owner, this.store.clock.now(), true);
  }
}
