import type { WaitCycleMember, WaitGraph, WaitRecord } from '../../contract/wait-graph.js';
import type { MemoryStore } from './memory-store.js';

interface LiveWait {
  readonly id: string;
  readonly holds: readonly string[];
  readonly keys: readonly string[];
  readonly since: number;
  expiresAt: number;
}

/** A search stops listing after this many cycles, and after visiting this many waits. */
const MAX_CYCLES = 32;
const MAX_VISITS = 10_000;

/**
 * The memory backend's waits-for graph: the waits of chains that hold locks, indexed by the owner
 * tokens of their holds, walked from a new wait to find the cycles through it. One call sees one
 * instant, as a Redis script or a Postgres statement does.
 */
export class MemoryWaitGraph implements WaitGraph {
  readonly #waits = new Map<string, LiveWait>();
  /** Owner token of a hold → the waits of the chain holding it. */
  readonly #byHold = new Map<string, Set<string>>();
  #lastSince = 0;

  constructor(private readonly store: MemoryStore) {}

  async publish(
    record: WaitRecord,
    ttlMs: number,
    maxLength: number,
  ): Promise<WaitCycleMember[][]> {
    const now = this.store.clock.now();
    // Strictly increasing, so no two waits tie however fast they come.
    const before = this.#waits.get(record.id);
    // A live record keeps its since; an expired one is gone, and starts again.
    const since =
      before && before.expiresAt > now ? before.since : Math.max(now, this.#lastSince + 0.001);
    this.#lastSince = Math.max(this.#lastSince, since);
    this.#remove(record.id);
    const wait: LiveWait = { ...record, since, expiresAt: now + ttlMs };
    this.#waits.set(wait.id, wait);
    for (const owner of wait.holds) {
      let ids = this.#byHold.get(owner);
      if (!ids) {
        ids = new Set();
        this.#byHold.set(owner, ids);
      }
      ids.add(wait.id);
    }
    return this.#cyclesFrom(wait, maxLength, now);
  }

  async withdraw(id: string): Promise<void> {
    this.#remove(id);
  }

  /** Depth-first from `start`: every simple cycle back to it, of at most `maxLength` waits. */
  #cyclesFrom(start: LiveWait, maxLength: number, now: number): WaitCycleMember[][] {
    const cycles: WaitCycleMember[][] = [];
    const path: LiveWait[] = [start];
    let visits = 0;
    const visit = (wait: LiveWait): void => {
      for (const next of this.#blockers(wait, now)) {
        if (cycles.length >= MAX_CYCLES || ++visits > MAX_VISITS) return;
        if (next === start) {
          cycles.push(path.map(({ id, keys, since }) => ({ id, keys, since })));
        } else if (path.length < maxLength && !path.includes(next)) {
          path.push(next);
          visit(next);
          path.pop();
        }
      }
    };
    visit(start);
    return cycles;
  }

  /** The live waits whose chains hold a lease on a key `wait` waits for. */
  #blockers(wait: LiveWait, now: number): LiveWait[] {
    const found = new Set<LiveWait>();
    for (const key of wait.keys) {
      const holder = this.store.liveEntry(key, now)?.owner;
      const owners = holder === undefined ? [] : [holder];
      owners.push(...this.store.readHolds.owners(key, now));
      for (const owner of owners) {
        for (const id of this.#byHold.get(owner) ?? []) {
          const other = this.#waits.get(id);
          if (!other) continue;
          if (other.expiresAt <= now) this.#remove(id);
          else found.add(other);
        }
      }
    }
    return [...found];
  }

  #remove(id: string): void {
    const wait = this.#waits.get(id);
    if (!wait) return;
    this.#waits.delete(id);
    for (const owner of wait.holds) {
      const ids = this.#byHold.get(owner);
      ids?.delete(id);
      if (ids?.size === 0) this.#byHold.delete(owner);
    }
  }
}
