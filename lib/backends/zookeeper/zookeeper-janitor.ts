import { isZk, ZK_BAD_VERSION, ZK_NO_NODE, ZK_NOT_EMPTY } from './zookeeper-errors.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** How often the janitor looks, in ms. */
const SWEEP_EVERY_MS = 2_000;
/**
 * How long after its deadline (by this process's clock) a node of ours is removed: the deadline
 * was learned from a write's stamp, off by up to a round trip and by the clocks' drift since.
 */
const PAST_DEADLINE_MS = 1_000;
/** How long a key's parent znode stays after this backend last used it, in ms. */
const PARENT_IDLE_MS = 10_000;

/** A node this backend wrote, and until when (this process's monotonic clock) it is a lease. */
interface Expiring {
  readonly version: number;
  readonly until: number;
}

/**
 * Removes what this backend leaves behind, which nothing else would: ZooKeeper removes an
 * ephemeral node only with its session, and a persistent parent never.
 *
 * - Its own nodes past their ttl. A lease that nobody releases (a `claim`, such as a
 *   `@SingletonCron` tick's, or a lock lost at its deadline) would otherwise stay as long as the
 *   session: one node per cron tick, for the life of the process. Removed version-checked, so a
 *   node written meanwhile (renewed elsewhere) stays.
 * - The parent znode of each key it used, once idle: a delete that fails while any node is under
 *   it. A key locked once (an order id) would otherwise leave an empty znode forever. A contender
 *   that finds the parent gone creates it again.
 *
 * One timer per backend, unreferenced: it never keeps the process alive.
 */
export class ZooKeeperJanitor {
  readonly #nodes = new Map<string, Expiring>();
  /** Parent path → when this backend last used it (monotonic ms). */
  readonly #parents = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #sweeping = false;

  constructor(private readonly session: ZooKeeperSession) {
    this.#timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.#timer.unref();
    // An expired session took its ephemeral nodes with it.
    session.onNewSession(() => this.#nodes.clear());
  }

  /** `path` (ours) is a lease or ticket at `version` for `ttlLeftMs` more, by the store's clock. */
  wrote(path: string, version: number, ttlLeftMs: number): void {
    this.#nodes.set(path, { version, until: performance.now() + ttlLeftMs + PAST_DEADLINE_MS });
  }

  /** `path` (ours) is gone, or no longer ours to clean. */
  gone(path: string): void {
    this.#nodes.delete(path);
  }

  /** This backend used `parent` now. */
  used(parent: string): void {
    this.#parents.set(parent, performance.now());
  }

  /** One pass: the nodes past their ttl, then the idle parents. Never rejects. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const now = performance.now();
      const expired = [...this.#nodes].filter(([, node]) => node.until <= now);
      await Promise.all(expired.map(([path, node]) => this.#removeNode(path, node)));
      const idle = [...this.#parents].filter(([, usedAt]) => now - usedAt >= PARENT_IDLE_MS);
      await Promise.all(idle.map(([parent, usedAt]) => this.#removeParent(parent, usedAt)));
    } finally {
      this.#sweeping = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #removeNode(path: string, node: Expiring): Promise<void> {
    try {
      await this.session.remove(path, node.version);
    } catch (error) {
      // Written meanwhile (by its owner elsewhere): not ours to judge any more. Else, a store that
      // does not answer now: the next pass tries again.
      if (!isZk(error, ZK_BAD_VERSION) && !isZk(error, ZK_NO_NODE)) return;
    }
    if (this.#nodes.get(path) === node) this.#nodes.delete(path);
  }

  async #removeParent(parent: string, usedAt: number): Promise<void> {
    // Its own nodes of ours that are still leases keep it.
    for (const path of this.#nodes.keys()) if (path.startsWith(`${parent}/`)) return;
    try {
      await this.session.remove(parent, -1);
    } catch (error) {
      // Someone else's nodes are under it: theirs to leave it when they are done. Else, retry.
      if (!isZk(error, ZK_NOT_EMPTY) && !isZk(error, ZK_NO_NODE)) return;
    }
    if (this.#parents.get(parent) === usedAt) this.#parents.delete(parent);
  }
}
