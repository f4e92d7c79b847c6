import type {
  InstanceListing,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import { byId, leaseListing } from '../shared/lease-listing.js';
import type { MemoryStore } from './memory-store.js';

interface StoredRecord {
  readonly payload: string;
  readonly expiresAt: number;
}

/** The memory backend's directory: its tables walked in place, and instance records in a map. */
export class MemoryDirectory implements LockDirectory {
  /** Instance records by prefix, then by id. */
  readonly #records = new Map<string, Map<string, StoredRecord>>();

  constructor(private readonly store: MemoryStore) {}

  async list(prefix: string, limit: number): Promise<LeaseListing> {
    const now = this.store.clock.now();
    const leases: ListedLease[] = [];
    for (const [key, entry] of this.store.entries) {
      if (key.startsWith(prefix) && entry.owner !== undefined && entry.expiresAt > now) {
        leases.push({
          key,
          owner: entry.owner,
          fencingToken: entry.token,
          expiresAt: entry.expiresAt,
          kind: 'mutex',
        });
      }
    }
    leases.push(
      ...this.store.semaphores.list(prefix, now),
      ...this.store.readHolds.list(prefix, now),
    );
    return leaseListing(leases, limit, now);
  }

  async announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    let records = this.#records.get(prefix);
    if (!records) {
      records = new Map();
      this.#records.set(prefix, records);
    }
    records.set(id, { payload, expiresAt: this.store.clock.now() + ttlMs });
  }

  async withdraw(prefix: string, id: string): Promise<void> {
    this.#records.get(prefix)?.delete(id);
  }

  async instances(prefix: string): Promise<InstanceListing> {
    const now = this.store.clock.now();
    const records = this.#records.get(prefix) ?? new Map<string, StoredRecord>();
    for (const [id, record] of records) if (record.expiresAt <= now) records.delete(id);
    const instances = [...records]
      .map(([id, record]) => ({ id, payload: record.payload, expiresAt: record.expiresAt }))
      .sort(byId);
    return { instances, now };
  }
}
