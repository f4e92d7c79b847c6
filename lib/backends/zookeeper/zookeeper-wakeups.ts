import type { Unsubscribe } from '../../contract/lease.js';
import { EVENT_NODE_DATA_CHANGED, type ZkEventLike } from './zookeeper-client.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * Wake-ups without a herd: `subscribe` only registers a listener in this process; a missed
 * attempt then leaves one watch on the node it waits behind (the holder of a plain lock,
 * the node just ahead in a fair queue), and that node's deletion calls the key's listeners. A
 * release thus wakes the waiters watching the released node, not every waiter of the key.
 *
 * One watch per node and session: a node already watched is not watched again. The watch also
 * fires when the node's data changes (its holder extended, a waiter refreshed its ticket);
 * the watch is then left again, and when the node is gone by then the listeners are called.
 */
export class ZooKeeperWakeups {
  readonly #listeners = new Map<string, Set<() => void>>();
  /** Watched node path → the key it belongs to. */
  readonly #watched = new Map<string, string>();

  constructor(private readonly session: ZooKeeperSession) {
    // A new session has none of the old one's watches: every waiter tries again.
    session.onNewSession(() => {
      this.#watched.clear();
      for (const key of this.#listeners.keys()) this.#wake(key);
    });
  }

  subscribe(key: string, onRelease: () => void): Unsubscribe {
    let listeners = this.#listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    const listener = (): void => onRelease();
    listeners.add(listener);
    return () => {
      const current = this.#listeners.get(key);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  /** Whether someone in this process waits for `key`'s release. */
  isWaitedFor(key: string): boolean {
    return this.#listeners.has(key);
  }

  /**
   * Watches `paths` (nodes of `key`) for their deletion. A node already gone wakes the key's
   * listeners at once: its release happened before the watch and must not be missed.
   */
  async watch(key: string, paths: readonly string[]): Promise<void> {
    await Promise.all(paths.map((path) => this.#watchOne(key, path)));
  }

  async #watchOne(key: string, path: string): Promise<void> {
    if (this.#watched.has(path)) return;
    this.#watched.set(path, key);
    let present: boolean;
    try {
      present = await this.session.watch(path, (event) => this.#onEvent(event));
    } catch {
      // Without the watch the waiter still re-attempts when the holder's ttl runs out.
      this.#watched.delete(path);
      return;
    }
    if (!present) this.#gone(path);
  }

  #onEvent(event: ZkEventLike): void {
    const path = event.getPath();
    const key = this.#watched.get(path);
    if (key === undefined) return;
    this.#watched.delete(path);
    if (event.getType() === EVENT_NODE_DATA_CHANGED) {
      void this.#watchOne(key, path);
      return;
    }
    this.#wake(key);
  }

  #gone(path: string): void {
    const key = this.#watched.get(path);
    if (key === undefined) return;
    this.#watched.delete(path);
    this.#wake(key);
  }

  #wake(key: string): void {
    const listeners = this.#listeners.get(key);
    if (!listeners) return;
    for (const listener of [...listeners]) listener();
  }
}
