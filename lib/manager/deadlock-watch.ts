import { LockDeadlockError } from '../contract/errors.js';
import type { WaitCycleMember, WaitGraph } from '../contract/wait-graph.js';
import type { MonotonicClock } from './clock.js';
import { currentFrame } from './lock-context.js';

/** A waiting chain republishes its wait and looks for cycles this often, in ms. */
export const DEADLOCK_CHECK_MS = 1_000;
/** A wait record lives this long without a refresh: a dead chain stops counting after it. */
const WAIT_RECORD_TTL_MS = 3 * DEADLOCK_CHECK_MS;
/** Cycles of more waits than this are not looked for. */
export const MAX_CYCLE_LENGTH = 8;

/**
 * The owner tokens of the leases the current call chain holds through `scope` (a manager):
 * what a wait of this chain blocks others on. Empty outside any hold, so a wait that holds
 * nothing is never published and costs nothing.
 */
export function chainHolds(scope: object): string[] {
  const owners = new Set<string>();
  for (let frame = currentFrame(); frame; frame = frame.parent) {
    if (frame.scope === scope && frame.lock.isHeld()) owners.add(frame.lock.owner);
  }
  return [...owners];
}

/**
 * The wait of a cycle that gives way: the one that started waiting last (by the store's clock,
 * which never gives two waits the same `since`; ties, from a store that did, go to the larger id). Every member computes the same answer from the same cycle, so
 * exactly one of them throws.
 */
export function victimOf(cycle: readonly WaitCycleMember[]): WaitCycleMember {
  let victim = cycle[0]!;
  for (const member of cycle) {
    if (member.since > victim.since || (member.since === victim.since && member.id > victim.id)) {
      victim = member;
    }
  }
  return victim;
}

/** What a {@link DeadlockWatch} watches: one wait of a chain that holds locks. */
export interface WatchedWait {
  readonly graph: WaitGraph;
  /** The waiting acquire's owner token: the wait's id. */
  readonly id: string;
  /** The owner tokens of the chain's holds. */
  readonly holds: readonly string[];
  /** The store keys waited for. */
  readonly storeKeys: readonly string[];
  /** The key as the caller gave it, for the error. */
  readonly key: string;
  /** A store key as the caller would name it (the manager's prefix removed). */
  readonly userKey: (storeKey: string) => string;
  readonly clock: MonotonicClock;
}

/**
 * Deadlock detection for one wait: publishes it to the store's waits-for graph after the first
 * missed attempt, republishes it every {@link DEADLOCK_CHECK_MS} while the wait goes on (the
 * waiter re-attempts at least that often), and throws {@link LockDeadlockError} when a cycle
 * through it names it the victim. The store failing to answer never fails the wait: detection
 * tries again at the next check.
 */
export class DeadlockWatch {
  #checkedAt = Number.NEGATIVE_INFINITY;
  #published = false;

  constructor(private readonly wait: WatchedWait) {}

  /** Called after each missed attempt; throws when this wait must give way. */
  async check(): Promise<void> {
    const { graph, clock } = this.wait;
    if (clock.now() - this.#checkedAt < DEADLOCK_CHECK_MS) return;
    this.#checkedAt = clock.now();
    let cycles: WaitCycleMember[][];
    try {
      this.#published = true;
      cycles = await graph.publish(
        { id: this.wait.id, holds: this.wait.holds, keys: this.wait.storeKeys },
        WAIT_RECORD_TTL_MS,
        MAX_CYCLE_LENGTH,
      );
    } catch {
      return;
    }
    for (const cycle of cycles) {
      if (victimOf(cycle).id !== this.wait.id) continue;
      const keys = cycle.map((member) => member.keys.map(this.wait.userKey).join(','));
      throw new LockDeadlockError(this.wait.key, keys);
    }
  }

  /** The wait ended (granted, gave up, or gave way): withdraws its record, in the background. */
  end(): void {
    if (this.#published) this.wait.graph.withdraw(this.wait.id).catch(() => undefined);
  }
}
