import type {
  AcquireResult,
  ExtendResult,
  FairShape,
  Handoff,
  LeaseInfo,
  LeaseShape,
  LeaseToExtend,
  LockBackend,
  LockBackendFeatures,
  Unsubscribe,
} from '../../contract/lock-backend.js';
import { MemoryQueues } from './memory-queue.js';
import { MemorySemaphores } from './memory-semaphores.js';

/** A wall clock in Unix epoch milliseconds: the "store clock" of the memory backend. */
export interface WallClock {
  now(): number;
}

/** Options of {@link MemoryLockBackend}. */
export interface MemoryLockBackendOptions {
  /** The store's clock; inject a fake one to expire leases without waiting. Default `Date`. */
  clock?: WallClock;
}

interface Entry {
  /** The current holder, or `undefined` when the key is free (released or expired). */
  owner: string | undefined;
  /** The holder's fencing token, or the last one issued when free. */
  token: bigint;
  expiresAt: number;
}

/** After a key frees up, its last fencing token is kept this long before the entry is dropped. */
const RETAIN_FREE_MS = 10 * 60_000;
/** Free entries are swept every this many acquires, so the map stays bounded by recent traffic. */
const SWEEP_EVERY = 1024;

/**
 * Locks in this process's memory, with exactly the semantics of the distributed backends: leases
 * that expire by the (injectable) store clock, owner checks, strictly increasing fencing tokens,
 * wake-ups on release, fair queues with hand-off, semaphores and multi-key leases. For tests, and
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
  readonly features: LockBackendFeatures = { fair: true, semaphore: true, multiKey: true };
  readonly #entries = new Map<string, Entry>();
  readonly #queues = new MemoryQueues();
  readonly #semaphores = new MemorySemaphores();
  readonly #waiters = new Map<string, Set<(handoff?: Handoff) => void>>();
  readonly #clock: WallClock;
  #acquires = 0;

  constructor(options: MemoryLockBackendOptions = {}) {
    this.#clock = options.clock ?? Date;
  }

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    shape?: LeaseShape,
  ): Promise<AcquireResult> {
    const now = this.#clock.now();
    if (++this.#acquires % SWEEP_EVERY === 0) this.#sweep(now);
    if (shape?.kind === 'semaphore') {
      this.#refuseMutex(key, now);
      return this.#semaphores.acquire(key, owner, ttlMs, shape.permits, now);
    }
    const keys = shape?.kind === 'multi' ? shape.keys : [key];
    for (const each of keys) this.#refuseSemaphore(each, now);
    if (shape?.kind === 'fair') return this.#acquireFair(key, owner, ttlMs, shape, now);
    let busyFor: number | undefined;
    let mine = true;
    for (const each of keys) {
      const entry = this.#entries.get(each);
      if (entry && this.#isLive(entry, now) && entry.owner !== owner) {
        busyFor = Math.max(busyFor ?? 0, entry.expiresAt - now);
      }
      if (entry?.owner !== owner || !this.#isLive(entry, now)) mine = false;
    }
    if (busyFor !== undefined) return { acquired: false, retryAfterMs: busyFor };
    if (mine) {
      // A retry by the holder: refresh, same token.
      for (const each of keys) this.#entries.get(each)!.expiresAt = now + ttlMs;
      return {
        acquired: true,
        fencingToken: this.#entries.get(key)!.token,
        expiresAt: now + ttlMs,
      };
    }
    const token = this.#nextToken(keys, now);
    for (const each of keys) this.#entries.set(each, { owner, token, expiresAt: now + ttlMs });
    return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.#clock.now();
    return leases.map(({ key, owner, ttlMs, shape }) => {
      if (shape?.kind === 'semaphore') return this.#semaphores.extend(key, owner, ttlMs, now);
      const keys = shape?.kind === 'multi' ? shape.keys : [key];
      const entries = keys.map((each) => this.#entries.get(each));
      if (entries.some((entry) => !entry || entry.owner !== owner || !this.#isLive(entry, now))) {
        return undefined;
      }
      for (const entry of entries) entry!.expiresAt = now + ttlMs;
      return now + ttlMs;
    });
  }

  async release(key: string, owner: string, shape?: LeaseShape): Promise<boolean> {
    const now = this.#clock.now();
    if (shape?.kind === 'semaphore') {
      const released = this.#semaphores.release(key, owner, now);
      if (released) this.#notify(key, undefined);
      return released;
    }
    const keys = shape?.kind === 'multi' ? shape.keys : [key];
    let released = false;
    for (const each of keys) {
      const entry = this.#entries.get(each);
      if (!entry || entry.owner !== owner || !this.#isLive(entry, now)) continue;
      entry.owner = undefined;
      entry.expiresAt = now;
      released = true;
      if (shape?.kind !== 'fair') this.#notify(each, undefined);
    }
    if (shape?.kind === 'fair') {
      this.#queues.leave(key, owner);
      const handedTo = this.#handOff(key, now);
      if (!handedTo && released) this.#notify(key, undefined);
    }
    return released;
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (!entry || entry.owner === undefined || !this.#isLive(entry, now)) {
      return this.#semaphores.inspect(key, now);
    }
    return { key, owner: entry.owner, fencingToken: entry.token, expiresAt: entry.expiresAt };
  }

  async subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    let set = this.#waiters.get(key);
    if (!set) {
      set = new Set();
      this.#waiters.set(key, set);
    }
    set.add(onRelease);
    return () => {
      set.delete(onRelease);
      if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
    };
  }

  async close(): Promise<void> {
    this.#waiters.clear();
  }

  #acquireFair(
    key: string,
    owner: string,
    ttlMs: number,
    shape: FairShape,
    now: number,
  ): AcquireResult {
    const join = shape.join !== false;
    const ticketExpiresAt = now + shape.ticketTtlMs;
    const entry = this.#entries.get(key);
    if (entry && this.#isLive(entry, now)) {
      if (entry.owner === owner) {
        this.#queues.leave(key, owner);
        entry.expiresAt = now + ttlMs;
        return { acquired: true, fencingToken: entry.token, expiresAt: entry.expiresAt };
      }
      if (join) this.#queues.join(key, owner, ttlMs, ticketExpiresAt);
      return { acquired: false, retryAfterMs: entry.expiresAt - now };
    }
    const head = this.#queues.head(key, now);
    if (head === undefined || head.owner === owner) {
      this.#queues.leave(key, owner);
      const token = this.#nextToken([key], now);
      this.#entries.set(key, { owner, token, expiresAt: now + ttlMs });
      return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
    }
    // Free, but someone is ahead: the lease goes to them, and this caller queues behind.
    this.#handOff(key, now);
    if (join) this.#queues.join(key, owner, ttlMs, ticketExpiresAt);
    return { acquired: false, retryAfterMs: head.ttlMs };
  }

  /**
   * Hands a free `key` to the first live waiter of its queue and tells the waiters; the new
   * holder's owner, or `undefined` when the key is held or nobody waits.
   */
  #handOff(key: string, now: number): string | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#isLive(entry, now)) return undefined;
    const head = this.#queues.head(key, now);
    if (!head) return undefined;
    this.#queues.leave(key, head.owner);
    const token = this.#nextToken([key], now);
    const expiresAt = now + head.ttlMs;
    this.#entries.set(key, { owner: head.owner, token, expiresAt });
    this.#notify(key, { owner: head.owner, fencingToken: token, expiresAt });
    return head.owner;
  }

  /** A token above every earlier token of each of `keys`, and at least the clock in µs. */
  #nextToken(keys: readonly string[], now: number): bigint {
    let token = BigInt(Math.floor(now)) * 1000n;
    for (const each of keys) {
      const last = this.#entries.get(each)?.token ?? 0n;
      if (last + 1n > token) token = last + 1n;
    }
    return token;
  }

  /** Tells `key`'s waiters after this call returns, as a store's notification would arrive. */
  #notify(key: string, handoff: Handoff | undefined): void {
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    queueMicrotask(() => {
      for (const wake of waiters) wake(handoff);
    });
  }

  #refuseSemaphore(key: string, now: number): void {
    if (this.#semaphores.isHeld(key, now)) throw mixedUse(key, 'a semaphore', 'a mutex');
  }

  #refuseMutex(key: string, now: number): void {
    const entry = this.#entries.get(key);
    if (entry && this.#isLive(entry, now)) throw mixedUse(key, 'a mutex', 'a semaphore');
  }

  #isLive(entry: Entry, now: number): boolean {
    return entry.owner !== undefined && entry.expiresAt > now;
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (!this.#isLive(entry, now) && entry.expiresAt + RETAIN_FREE_MS <= now)
        this.#entries.delete(key);
    }
    this.#queues.sweep(now);
    this.#semaphores.sweep(now, RETAIN_FREE_MS);
  }
}

function mixedUse(key: string, held: string, asked: string): Error {
  return new Error(
    `key ${JSON.stringify(key)} is held as ${held} and cannot be taken as ${asked}: use one key either as a mutex or as a semaphore, with the same permits everywhere`,
  );
}
