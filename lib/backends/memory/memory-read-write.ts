import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { ReadWriteAcquireOptions, ReadWriteLocks } from '../../contract/read-write-locks.js';
import type { MemoryStore } from './memory-store.js';

/**
 * Read-write locks in memory: read holds in their own table, the write hold as the key's mutex
 * entry, and a queue of tickets by mode that gives waiting writers their turn (see
 * `ReadWriteLocks` for the rules).
 */
export class MemoryReadWriteLocks implements ReadWriteLocks {
  constructor(private readonly store: MemoryStore) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: ReadWriteAcquireOptions,
  ): Promise<AcquireResult> {
    const { store } = this;
    const now = store.nowForAcquire();
    store.refuseSemaphore(key, now);
    return options.mode === 'read'
      ? this.#read(key, owner, ttlMs, options, now)
      : this.#write(key, owner, ttlMs, options, now);
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.store.clock.now();
    return leases.map(({ key, owner, ttlMs }) => {
      const hold = this.store.readHolds.held(key, owner, now);
      if (!hold) return undefined;
      hold.expiresAt = now + ttlMs;
      return hold.expiresAt;
    });
  }

  async release(key: string, owner: string): Promise<boolean> {
    const { store } = this;
    const now = store.clock.now();
    const wrote = store.releaseKeys([key], owner, now, false);
    const read = !wrote && store.readHolds.release(key, owner, now);
    const queued = store.modeQueues.leave(key, owner, now);
    const lastRead = read && store.readHolds.liveUntil(key, now) === undefined;
    if (wrote || lastRead || queued) store.notify(key, undefined);
    return wrote || read;
  }

  #read(
    key: string,
    owner: string,
    ttlMs: number,
    options: ReadWriteAcquireOptions,
    now: number,
  ): AcquireResult {
    const { store } = this;
    const expiresAt = now + ttlMs;
    const mine = store.readHolds.held(key, owner, now);
    if (mine) {
      mine.expiresAt = expiresAt;
      return { acquired: true, fencingToken: mine.token, expiresAt };
    }
    const writer = store.liveEntry(key, now);
    if (writer || store.modeQueues.ahead(key, owner, now).writes > 0) {
      return this.#miss(key, owner, options, now, writer && writer.expiresAt - now);
    }
    store.modeQueues.leave(key, owner, now);
    const fencingToken = store.nextToken([key], now);
    store.readHolds.grant(key, owner, fencingToken, expiresAt, now);
    return { acquired: true, fencingToken, expiresAt };
  }

  #write(
    key: string,
    owner: string,
    ttlMs: number,
    options: ReadWriteAcquireOptions,
    now: number,
  ): AcquireResult {
    const { store } = this;
    const expiresAt = now + ttlMs;
    const entry = store.liveEntry(key, now);
    if (entry?.owner === owner) {
      entry.expiresAt = expiresAt;
      return { acquired: true, fencingToken: entry.token, expiresAt };
    }
    if (entry) return this.#miss(key, owner, options, now, entry.expiresAt - now);
    const firstRead = store.readHolds.firstExpiry(key, now);
    if (firstRead !== undefined) return this.#miss(key, owner, options, now, firstRead - now);
    const ahead = store.modeQueues.ahead(key, owner, now);
    if (ahead.reads > 0 || (options.fair && ahead.writes > 0)) {
      return this.#miss(key, owner, options, now, undefined);
    }
    store.modeQueues.leave(key, owner, now);
    const fencingToken = store.nextToken([key], now);
    store.entries.set(key, { owner, token: fencingToken, expiresAt });
    return { acquired: true, fencingToken, expiresAt };
  }

  /** A miss: queues (or keeps the place of) a waiter that joins; a single attempt leaves none. */
  #miss(
    key: string,
    owner: string,
    options: ReadWriteAcquireOptions,
    now: number,
    retryAfterMs: number | undefined,
  ): AcquireResult {
    const { modeQueues } = this.store;
    if (options.join) modeQueues.join(key, owner, options.mode, now + options.ticketTtlMs);
    else modeQueues.leave(key, owner, now);
    return { acquired: false, retryAfterMs };
  }
}
