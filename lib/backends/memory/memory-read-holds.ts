import type { LeaseInfo } from '../../contract/lease.js';
import type { ListedLease } from '../../contract/lock-directory.js';

interface ReadHold {
  readonly token: bigint;
  expiresAt: number;
}

interface Readers {
  readonly holds: Map<string, ReadHold>;
  /** The last fencing token granted to a read of this key. */
  lastToken: bigint;
  /** Store-clock ms of the last grant or release, for sweeping. */
  touchedAt: number;
}

/**
 * The read holds of the memory backend's read-write locks: per key, the owners reading it, each
 * with its own lease and fencing token. Tokens come from the store (one fence per key, shared with
 * the mutex); this table remembers the last one so the fence survives a swept mutex entry.
 */
export class MemoryReadHolds {
  readonly #readers = new Map<string, Readers>();

  /** Every live read hold of a key starting with `prefix`, one entry per reader. */
  *list(prefix: string, now: number): Generator<ListedLease> {
    for (const [key, readers] of this.#readers) {
      if (!key.startsWith(prefix)) continue;
      for (const [owner, hold] of readers.holds) {
        if (hold.expiresAt > now) {
          yield { key, owner, fencingToken: hold.token, expiresAt: hold.expiresAt, kind: 'read' };
        }
      }
    }
  }

  /** Store-clock ms at which the last live read of `key` expires; `undefined` when none lives. */
  liveUntil(key: string, now: number): number | undefined {
    const readers = this.#readers.get(key);
    if (!readers) return undefined;
    let until: number | undefined;
    for (const [owner, hold] of readers.holds) {
      if (hold.expiresAt <= now) readers.holds.delete(owner);
      else until = Math.max(until ?? 0, hold.expiresAt);
    }
    return until;
  }

  /** Store-clock ms at which the first live read of `key` expires; `undefined` when none lives. */
  firstExpiry(key: string, now: number): number | undefined {
    if (this.liveUntil(key, now) === undefined) return undefined;
    let first = Number.POSITIVE_INFINITY;
    for (const hold of this.#readers.get(key)!.holds.values()) {
      first = Math.min(first, hold.expiresAt);
    }
    return first;
  }

  /** The owners of the live reads of `key`. */
  owners(key: string, now: number): string[] {
    if (this.liveUntil(key, now) === undefined) return [];
    return [...this.#readers.get(key)!.holds.keys()];
  }

  /** `owner`'s live read of `key`. */
  held(key: string, owner: string, now: number): ReadHold | undefined {
    const hold = this.#readers.get(key)?.holds.get(owner);
    return hold && hold.expiresAt > now ? hold : undefined;
  }

  /** The last token granted to a read of `key`, 0 when none was. */
  lastToken(key: string): bigint {
    return this.#readers.get(key)?.lastToken ?? 0n;
  }

  grant(key: string, owner: string, token: bigint, expiresAt: number, now: number): void {
    let readers = this.#readers.get(key);
    if (!readers) {
      readers = { holds: new Map(), lastToken: 0n, touchedAt: now };
      this.#readers.set(key, readers);
    }
    readers.holds.set(owner, { token, expiresAt });
    readers.lastToken = token;
    readers.touchedAt = now;
  }

  /** Ends `owner`'s read of `key`; `true` when it was live. */
  release(key: string, owner: string, now: number): boolean {
    const readers = this.#readers.get(key);
    const hold = readers?.holds.get(owner);
    if (!readers || !hold) return false;
    readers.holds.delete(owner);
    readers.touchedAt = now;
    return hold.expiresAt > now;
  }

  /** The read holds of `key` as `inspect` reports them: the read taken last, and how many. */
  inspect(key: string, now: number): LeaseInfo | null {
    if (this.liveUntil(key, now) === undefined) return null;
    const { holds } = this.#readers.get(key)!;
    let latest: [string, ReadHold] | undefined;
    for (const entry of holds) {
      if (!latest || entry[1].token > latest[1].token) latest = entry;
    }
    const [owner, hold] = latest!;
    return {
      key,
      owner,
      fencingToken: hold.token,
      expiresAt: hold.expiresAt,
      holders: holds.size,
      mode: 'read',
    };
  }

  /** Forgets keys that have had no reader for `retainMs`. */
  sweep(now: number, retainMs: number): void {
    for (const [key, readers] of this.#readers) {
      if (this.liveUntil(key, now) === undefined && readers.touchedAt + retainMs <= now) {
        this.#readers.delete(key);
      }
    }
  }
}
