import type {
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
  LockBackend,
  Unsubscribe,
} from '../lock-backend.js';

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
 * that expire by the (injectable) store clock, owner checks, strictly increasing fencing tokens and
 * wake-ups on release. For tests, and for a single-process app; it cannot coordinate two processes.
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
  readonly #entries = new Map<string, Entry>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #clock: WallClock;
  #acquires = 0;

  constructor(options: MemoryLockBackendOptions = {}) {
    this.#clock = options.clock ?? Date;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    const now = this.#clock.now();
    if (++this.#acquires % SWEEP_EVERY === 0) this.#sweep(now);
    const entry = this.#entries.get(key);
    if (entry && this.#isLive(entry, now)) {
      if (entry.owner !== owner) return { acquired: false, retryAfterMs: entry.expiresAt - now };
      entry.expiresAt = now + ttlMs;
      return { acquired: true, fencingToken: entry.token, expiresAt: entry.expiresAt };
    }
    const floor = BigInt(Math.floor(now)) * 1000n;
    const last = entry?.token ?? 0n;
    const token = last + 1n > floor ? last + 1n : floor;
    this.#entries.set(key, { owner, token, expiresAt: now + ttlMs });
    return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const now = this.#clock.now();
    return leases.map(({ key, owner, ttlMs }) => {
      const entry = this.#entries.get(key);
      if (!entry || entry.owner !== owner || !this.#isLive(entry, now)) return undefined;
      entry.expiresAt = now + ttlMs;
      return entry.expiresAt;
    });
  }

  async release(key: string, owner: string): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (!entry || entry.owner !== owner || !this.#isLive(entry, this.#clock.now())) return false;
    entry.owner = undefined;
    entry.expiresAt = this.#clock.now();
    const waiters = this.#waiters.get(key);
    if (waiters) {
      // Notify after this call returns, as a store's notification would arrive.
      queueMicrotask(() => {
        for (const wake of waiters) wake();
      });
    }
    return true;
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    const entry = this.#entries.get(key);
    if (!entry || entry.owner === undefined || !this.#isLive(entry, this.#clock.now())) return null;
    return { key, owner: entry.owner, fencingToken: entry.token, expiresAt: entry.expiresAt };
  }

  async subscribe(key: string, onRelease: () => void): Promise<Unsubscribe> {
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

  #isLive(entry: Entry, now: number): boolean {
    return entry.owner !== undefined && entry.expiresAt > now;
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (!this.#isLive(entry, now) && entry.expiresAt + RETAIN_FREE_MS <= now)
        this.#entries.delete(key);
    }
  }
}
