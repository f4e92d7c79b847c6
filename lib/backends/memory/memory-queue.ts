/** A waiter's place in a fair queue. */
interface Ticket {
  /** Store-clock ms after which the ticket is dead (its waiter stopped refreshing it). */
  expiresAt: number;
  /** The lease the waiter asked for, so a hand-off can grant exactly that. */
  ttlMs: number;
}

/**
 * The fair queues of the memory backend: per key, the waiting owners in arrival order. A `Map`
 * keeps insertion order, and refreshing a ticket updates it in place, so a waiter keeps its turn.
 */
export class MemoryQueues {
  readonly #queues = new Map<string, Map<string, Ticket>>();

  /** Takes a place at the tail for `owner`, or keeps its place and refreshes its ticket. */
  join(key: string, owner: string, ttlMs: number, expiresAt: number): void {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new Map();
      this.#queues.set(key, queue);
    }
    const ticket = queue.get(owner);
    if (ticket) {
      ticket.expiresAt = expiresAt;
      ticket.ttlMs = ttlMs;
    } else {
      queue.set(owner, { expiresAt, ttlMs });
    }
  }

  /** Drops `owner`'s ticket, if it has one. */
  leave(key: string, owner: string): void {
    const queue = this.#queues.get(key);
    if (!queue) return;
    queue.delete(owner);
    if (queue.size === 0) this.#queues.delete(key);
  }

  /** The first waiter whose ticket is still live at `now`; dead tickets before it are dropped. */
  head(key: string, now: number): { owner: string; ttlMs: number } | undefined {
    const queue = this.#queues.get(key);
    if (!queue) return undefined;
    for (const [owner, ticket] of queue) {
      if (ticket.expiresAt > now) return { owner, ttlMs: ticket.ttlMs };
      queue.delete(owner);
    }
    this.#queues.delete(key);
    return undefined;
  }

  /** Drops every queue whose tickets are all dead. */
  sweep(now: number): void {
    for (const key of [...this.#queues.keys()]) this.head(key, now);
  }
}
