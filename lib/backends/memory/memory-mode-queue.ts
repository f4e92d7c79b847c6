import type { LockMode } from '../../contract/read-write-locks.js';

interface ModeTicket {
  readonly mode: LockMode;
  /** Store-clock ms after which the ticket is dead (its waiter stopped refreshing it). */
  expiresAt: number;
}

/** The live tickets ahead of a waiter, by mode. */
export interface TicketsAhead {
  readonly reads: number;
  readonly writes: number;
}

/**
 * The read-write queues of the memory backend: per key, the waiting owners in arrival order with
 * the mode each waits for. A `Map` keeps insertion order and a refresh updates a ticket in place,
 * so a waiter keeps its turn.
 */
export class MemoryModeQueues {
  readonly #queues = new Map<string, Map<string, ModeTicket>>();

  /** Takes a place at the tail for `owner`, or keeps its place and refreshes its ticket. */
  join(key: string, owner: string, mode: LockMode, expiresAt: number): void {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new Map();
      this.#queues.set(key, queue);
    }
    const ticket = queue.get(owner);
    if (ticket && ticket.mode === mode) ticket.expiresAt = expiresAt;
    else queue.set(owner, { mode, expiresAt });
  }

  /** Drops `owner`'s ticket; `true` when it had a live one. */
  leave(key: string, owner: string, now: number): boolean {
    const queue = this.#queues.get(key);
    const ticket = queue?.get(owner);
    if (!queue || !ticket) return false;
    queue.delete(owner);
    if (queue.size === 0) this.#queues.delete(key);
    return ticket.expiresAt > now;
  }

  /**
   * The live tickets ahead of `owner`'s (all of them when it has none: a newcomer is at the
   * tail). Dead tickets met on the way are dropped.
   */
  ahead(key: string, owner: string, now: number): TicketsAhead {
    const queue = this.#queues.get(key);
    let reads = 0;
    let writes = 0;
    if (!queue) return { reads, writes };
    for (const [who, ticket] of queue) {
      if (who === owner) break;
      if (ticket.expiresAt <= now) queue.delete(who);
      else if (ticket.mode === 'read') reads++;
      else writes++;
    }
    if (queue.size === 0) this.#queues.delete(key);
    return { reads, writes };
  }

  /** Drops dead tickets, and the queues left empty. */
  sweep(now: number): void {
    for (const [key, queue] of this.#queues) {
      for (const [owner, ticket] of queue) if (ticket.expiresAt <= now) queue.delete(owner);
      if (queue.size === 0) this.#queues.delete(key);
    }
  }
}
