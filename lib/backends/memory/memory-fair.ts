import type { FairAcquireOptions, FairLocks } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import type { MemoryStore } from './memory-store.js';

/** Fair locks in memory: a queue of tickets per key, and a release hands the key to its head. */
export class MemoryFairLocks implements FairLocks {
  constructor(private readonly store: MemoryStore) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
  ): Promise<AcquireResult> {
    const { store } = this;
    const now = store.nowForAcquire();
    store.refuseSemaphore(key, now);
    const ticketExpiresAt = now + options.ticketTtlMs;
    const entry = store.liveEntry(key, now);
    if (entry) {
      if (entry.owner === owner) {
        store.queues.leave(key, owner);
        entry.expiresAt = now + ttlMs;
        return { acquired: true, fencingToken: entry.token, expiresAt: entry.expiresAt };
      }
      if (options.join) store.queues.join(key, owner, ttlMs, ticketExpiresAt);
      return { acquired: false, retryAfterMs: entry.expiresAt - now };
    }
    const readUntil = store.readHolds.liveUntil(key, now);
    if (readUntil !== undefined) {
      if (options.join) store.queues.join(key, owner, ttlMs, ticketExpiresAt);
      return { acquired: false, retryAfterMs: readUntil - now };
    }
    const head = store.queues.head(key, now);
    if (head === undefined || head.owner === owner) {
      store.queues.leave(key, owner);
      const token = store.nextToken([key], now);
      store.entries.set(key, { owner, token, expiresAt: now + ttlMs });
      return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
    }
    // Free, but someone is ahead: the lease goes to them, and this caller queues behind.
    this.#handOff(key, now);
    if (options.join) store.queues.join(key, owner, ttlMs, ticketExpiresAt);
    return { acquired: false, retryAfterMs: head.ttlMs };
  }

  async release(key: string, owner: string): Promise<boolean> {
    const now = this.store.clock.now();
    const released = this.store.releaseKeys([key], owner, now, false);
    this.store.queues.leave(key, owner);
    const handedTo = this.#handOff(key, now);
    if (!handedTo && released) this.store.notify(key, undefined);
    return released;
  }

  /**
   * Hands a free `key` to the first live waiter of its queue and tells the waiters; the new
   * holder's owner, or `undefined` when the key is held or nobody waits.
   */
  #handOff(key: string, now: number): string | undefined {
    const { store } = this;
    if (store.liveEntry(key, now) || store.readHolds.liveUntil(key, now) !== undefined) {
      return undefined;
    }
    const head = store.queues.head(key, now);
    if (!head) return undefined;
    store.queues.leave(key, head.owner);
    const token = store.nextToken([key], now);
    const expiresAt = now + head.ttlMs;
    store.entries.set(key, { owner: head.owner, token, expiresAt });
    store.notify(key, { owner: head.owner, fencingToken: token, expiresAt });
    return head.owner;
  }
}
