import { LockBackendError } from '../../contract/errors.js';
import type { AcquireResult, ExtendResult, Handoff } from '../../contract/lease.js';
import { MemoryModeQueues } from './memory-mode-queue.js';
import { MemoryPermits } from './memory-permits.js';
import { MemoryQueues } from './memory-queue.js';
import { MemoryReadHolds } from './memory-read-holds.js';

/** A wall clock in Unix epoch milliseconds: the "store clock" of the memory backend. */
export interface WallClock {
  now(): number;
}

export interface MutexEntry {
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
 * The state of the memory backend, shared by the mutex and its capabilities: mutex entries, fair
 * queues, semaphores, read holds and their queues, and the waiters of each key. Every method takes the store-clock `now` of the
 * call it serves, so one call sees one instant.
 *
 * Fencing tokens are the larger of the key's last token + 1 and the store clock in microseconds,
 * as on Redis, so they keep increasing even after an entry was dropped.
 */
export class MemoryStore {
  readonly entries = new Map<string, MutexEntry>();
  readonly queues = new MemoryQueues();
  readonly semaphores = new MemoryPermits();
  readonly readHolds = new MemoryReadHolds();
  readonly modeQueues = new MemoryModeQueues();
  readonly #waiters = new Map<string, Set<(handoff?: Handoff) => void>>();
  #acquires = 0;

  constructor(readonly clock: WallClock) {}

  /** The store clock for one call; sweeps free entries now and then. */
  nowForAcquire(): number {
    const now = this.clock.now();
    if (++this.#acquires % SWEEP_EVERY === 0) this.#sweep(now);
    return now;
  }

  /** Takes every key of `keys` for `owner`, or none; a retry by the holder refreshes its lease. */
  acquireKeys(keys: readonly string[], owner: string, ttlMs: number, now: number): AcquireResult {
    for (const each of keys) this.refuseSemaphore(each, now);
    let busyFor: number | undefined;
    let mine = true;
    for (const each of keys) {
      const entry = this.entries.get(each);
      if (entry && isLive(entry, now) && entry.owner !== owner) {
        busyFor = Math.max(busyFor ?? 0, entry.expiresAt - now);
      }
      // Read holds exclude every exclusive lease of the key.
      const readUntil = this.readHolds.liveUntil(each, now);
      if (readUntil !== undefined) busyFor = Math.max(busyFor ?? 0, readUntil - now);
      if (entry?.owner !== owner || !isLive(entry, now)) mine = false;
    }
    if (busyFor !== undefined) return { acquired: false, retryAfterMs: busyFor };
    if (mine) {
      for (const each of keys) this.entries.get(each)!.expiresAt = now + ttlMs;
      return {
        acquired: true,
        fencingToken: this.entries.get(keys[0]!)!.token,
        expiresAt: now + ttlMs,
      };
    }
    const token = this.nextToken(keys, now);
    for (const each of keys) this.entries.set(each, { owner, token, expiresAt: now + ttlMs });
    return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
  }

  /** Extends `owner`'s lease on every key of `keys`, or none when it lost any of them. */
  extendKeys(keys: readonly string[], owner: string, ttlMs: number, now: number): ExtendResult {
    const entries = keys.map((each) => this.entries.get(each));
    if (entries.some((entry) => !entry || entry.owner !== owner || !isLive(entry, now))) {
      return undefined;
    }
    for (const entry of entries) entry!.expiresAt = now + ttlMs;
    return now + ttlMs;
  }

  /** Frees every key of `keys` that `owner` holds; `notify` wakes each freed key's waiters. */
  releaseKeys(keys: readonly string[], owner: string, now: number, notify: boolean): boolean {
    let released = false;
    for (const each of keys) {
      const entry = this.entries.get(each);
      if (!entry || entry.owner !== owner || !isLive(entry, now)) continue;
      entry.owner = undefined;
      entry.expiresAt = now;
      released = true;
      if (notify) this.notify(each, undefined);
    }
    return released;
  }

  /** The live mutex entry of `key`, if any. */
  liveEntry(key: string, now: number): MutexEntry | undefined {
    const entry = this.entries.get(key);
    return entry && isLive(entry, now) ? entry : undefined;
  }

  /** A token above every earlier token of each of `keys`, and at least the clock in µs. */
  nextToken(keys: readonly string[], now: number): bigint {
    let token = BigInt(Math.floor(now)) * 1000n;
    for (const each of keys) {
      const mutexToken = this.entries.get(each)?.token ?? 0n;
      const readToken = this.readHolds.lastToken(each);
      const last = mutexToken > readToken ? mutexToken : readToken;
      if (last + 1n > token) token = last + 1n;
    }
    return token;
  }

  /** Whether anyone waits on `key` now: the key is busy, and subscribing is free here anyway. */
  hasWaiters(key: string): boolean {
    return this.#waiters.has(key);
  }

  subscribe(key: string, onRelease: (handoff?: Handoff) => void): () => void {
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

  /** Tells `key`'s waiters after this call returns, as a store's notification would arrive. */
  notify(key: string, handoff: Handoff | undefined): void {
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    queueMicrotask(() => {
      for (const wake of waiters) wake(handoff);
    });
  }

  clearWaiters(): void {
    this.#waiters.clear();
  }

  refuseSemaphore(key: string, now: number): void {
    if (this.semaphores.isHeld(key, now)) throw mixedUse(key, 'a semaphore', 'a mutex');
  }

  refuseMutex(key: string, now: number): void {
    if (this.liveEntry(key, now)) throw mixedUse(key, 'a mutex', 'a semaphore');
    if (this.readHolds.liveUntil(key, now) !== undefined) {
      throw mixedUse(key, 'read locks', 'a semaphore');
    }
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (!isLive(entry, now) && entry.expiresAt + RETAIN_FREE_MS <= now) this.entries.delete(key);
    }
    this.queues.sweep(now);
    this.semaphores.sweep(now, RETAIN_FREE_MS);
    this.readHolds.sweep(now, RETAIN_FREE_MS);
    this.modeQueues.sweep(now);
  }
}

function isLive(entry: MutexEntry, now: number): boolean {
  return entry.owner !== undefined && entry.expiresAt > now;
}

function mixedUse(key: string, held: string, asked: string): LockBackendError {
  return new LockBackendError(
    'memory',
    'acquire',
    key,
    `the key is held as ${held} and cannot be taken as ${asked}: use one key either as a mutex (read-write included) or as a semaphore, with the same permits everywhere`,
  );
}
