import type { AcquireResult, LeaseInfo, ListedLease } from '../../contract/lock-backend.js';

interface Permit {
  readonly token: bigint;
  expiresAt: number;
}

interface Semaphore {
  readonly holders: Map<string, Permit>;
  /** The last fencing token granted on this key, to any holder. */
  lastToken: bigint;
  /** Store-clock ms of the last grant or release, for sweeping. */
  touchedAt: number;
}

/**
 * The permit table of the memory backend (the state behind `MemorySemaphoreLocks`): per key, up to `permits` holders, each with its own lease
 * and fencing token. Tokens follow the mutex rule (last token + 1, at least the clock in µs), so
 * every permit ever granted on a key has a larger token than the ones before it.
 */
export class MemoryPermits {
  readonly #semaphores = new Map<string, Semaphore>();

  /** Every live permit of a key starting with `prefix`, one entry per holder. */
  *list(prefix: string, now: number): Generator<ListedLease> {
    for (const [key, semaphore] of this.#semaphores) {
      if (!key.startsWith(prefix)) continue;
      for (const [owner, permit] of semaphore.holders) {
        if (permit.expiresAt > now) {
          yield {
            key,
            owner,
            fencingToken: permit.token,
            expiresAt: permit.expiresAt,
            kind: 'permit',
          };
        }
      }
    }
  }

  /** Whether `key` has a live permit holder at `now`. */
  isHeld(key: string, now: number): boolean {
    const semaphore = this.#semaphores.get(key);
    return semaphore !== undefined && this.#live(semaphore, now) > 0;
  }

  acquire(key: string, owner: string, ttlMs: number, permits: number, now: number): AcquireResult {
    let semaphore = this.#semaphores.get(key);
    if (!semaphore) {
      semaphore = { holders: new Map(), lastToken: 0n, touchedAt: now };
      this.#semaphores.set(key, semaphore);
    }
    const count = this.#live(semaphore, now);
    const mine = semaphore.holders.get(owner);
    if (mine) {
      mine.expiresAt = now + ttlMs;
      return { acquired: true, fencingToken: mine.token, expiresAt: mine.expiresAt };
    }
    if (count >= permits) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const permit of semaphore.holders.values()) {
        earliest = Math.min(earliest, permit.expiresAt);
      }
      return { acquired: false, retryAfterMs: earliest - now };
    }
    const floor = BigInt(Math.floor(now)) * 1000n;
    const token = semaphore.lastToken + 1n > floor ? semaphore.lastToken + 1n : floor;
    semaphore.lastToken = token;
    semaphore.touchedAt = now;
    semaphore.holders.set(owner, { token, expiresAt: now + ttlMs });
    return { acquired: true, fencingToken: token, expiresAt: now + ttlMs };
  }

  extend(key: string, owner: string, ttlMs: number, now: number): number | undefined {
    const permit = this.#semaphores.get(key)?.holders.get(owner);
    if (!permit || permit.expiresAt <= now) return undefined;
    permit.expiresAt = now + ttlMs;
    return permit.expiresAt;
  }

  release(key: string, owner: string, now: number): boolean {
    const semaphore = this.#semaphores.get(key);
    const permit = semaphore?.holders.get(owner);
    if (!semaphore || !permit) return false;
    semaphore.holders.delete(owner);
    semaphore.touchedAt = now;
    return permit.expiresAt > now;
  }

  inspect(key: string, now: number): LeaseInfo | null {
    const semaphore = this.#semaphores.get(key);
    if (!semaphore || this.#live(semaphore, now) === 0) return null;
    let latest: [string, Permit] | undefined;
    for (const entry of semaphore.holders) {
      if (!latest || entry[1].token > latest[1].token) latest = entry;
    }
    const [owner, permit] = latest!;
    return {
      key,
      owner,
      fencingToken: permit.token,
      expiresAt: permit.expiresAt,
      holders: semaphore.holders.size,
    };
  }

  /** Forgets semaphores that have had no holder for `retainMs`. */
  sweep(now: number, retainMs: number): void {
    for (const [key, semaphore] of this.#semaphores) {
      if (this.#live(semaphore, now) === 0 && semaphore.touchedAt + retainMs <= now)
        this.#semaphores.delete(key);
    }
  }

  /** Drops expired holders; the number still holding a permit. */
  #live(semaphore: Semaphore, now: number): number {
    for (const [owner, permit] of semaphore.holders) {
      if (permit.expiresAt <= now) semaphore.holders.delete(owner);
    }
    return semaphore.holders.size;
  }
}
