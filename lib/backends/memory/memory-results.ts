import type { SharedOutcome, SharedResults } from '../../contract/shared-results.js';
import type { MemoryStore } from './memory-store.js';

interface StoredOutcome {
  readonly value: string;
  readonly storedAt: number;
  readonly expiresAt: number;
}

/** The memory backend's outcomes of shared runs: one per key, dropped when read after expiry. */
export class MemoryResults implements SharedResults {
  readonly #outcomes = new Map<string, StoredOutcome>();

  constructor(private readonly store: MemoryStore) {}

  async put(key: string, owner: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.store.clock.now();
    if (this.store.liveEntry(key, now)?.owner !== owner) return false;
    this.#sweep(now);
    this.#outcomes.set(key, { value, storedAt: now, expiresAt: now + ttlMs });
    return true;
  }

  async get(key: string): Promise<SharedOutcome | null> {
    const now = this.store.clock.now();
    const outcome = this.#outcomes.get(key);
    if (!outcome) return null;
    if (outcome.expiresAt <= now) {
      this.#outcomes.delete(key);
      return null;
    }
    return { value: outcome.value, ageMs: now - outcome.storedAt };
  }

  /** Drops expired outcomes, so keys shared once do not stay in memory. */
  #sweep(now: number): void {
    if (this.#outcomes.size < 1024) return;
    for (const [key, outcome] of this.#outcomes) {
      if (outcome.expiresAt <= now) this.#outcomes.delete(key);
    }
  }
}
