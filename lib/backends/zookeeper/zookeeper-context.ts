import { InvalidLockOptionsError } from '../../contract/errors.js';
import { CREATE_PERSISTENT } from './zookeeper-client.js';
import { isZk, ZK_NO_NODE, ZK_NODE_EXISTS, zooKeeperError } from './zookeeper-errors.js';
import type { ZooKeeperJanitor } from './zookeeper-janitor.js';
import { parentPath, type QueueEntry, queueOrder } from './zookeeper-names.js';
import { type NodeState, readNodeData, readStat } from './zookeeper-node-data.js';
import type { ZooKeeperSession } from './zookeeper-session.js';
import type { ZooKeeperWakeups } from './zookeeper-wakeups.js';

/**
 * What this backend last wrote to its own node: as long as the node's version is still this one
 * (a version-checked write tells), these are its current fencing token, kind and deadline, and
 * need not be read again.
 */
export interface OwnState {
  readonly czxid: bigint;
  readonly version: number;
  readonly waiting: boolean;
  /** A semaphore's permits, as written in the node. */
  readonly permits: number | undefined;
  /** `mtime` of that write + the ttl it wrote, in Unix epoch ms of the store. */
  readonly deadline: number;
}

/** An owner's node of a key, as this backend knows it. */
export interface OwnNode {
  readonly path: string;
  readonly state: OwnState | undefined;
}

/** How often an attempt makes a key's parent again when it vanished under it (an idle parent removed). */
export const PARENT_TRIES = 3;

/** How long a learned store-clock offset is trusted, in ms. */
const CLOCK_ESTIMATE_LIFE_MS = 60_000;

/**
 * What the mutex and each capability of `ZooKeeperLockBackend` share: the session, the root
 * path, the wake-ups, where this backend's own nodes are (so that an extend or a release need not
 * list the queue), and the reads every recipe makes.
 */
export class ZooKeeperContext {
  /** `key\0owner` → that owner's node, as this backend created or found it. */
  readonly #own = new Map<string, OwnNode>();
  /** The store's clock minus this process's, as the last write's stamp showed it. */
  #clockOffsetMs = 0;
  #clockLearnedAt: number | undefined;

  constructor(
    readonly session: ZooKeeperSession,
    readonly rootPath: string,
    readonly wakeups: ZooKeeperWakeups,
    /** The session timeout asked of the servers, in ms. */
    readonly sessionTimeoutMs: number,
    /** Removes what this backend leaves behind: its nodes past their ttl, its idle parents. */
    readonly janitor: ZooKeeperJanitor,
  ) {}

  /**
   * The longest ttl a lease may have: the session timeout (the one granted once connected, which
   * the servers may have lowered). An expired session takes its holder's nodes with it, so a
   * longer lease could be taken over while its holder, cut off, still counts on it.
   */
  get maxTtlMs(): number {
    const granted = this.session.grantedTimeoutMs;
    return granted === undefined ? this.sessionTimeoutMs : Math.min(granted, this.sessionTimeoutMs);
  }

  /**
   * Refuses a lease longer than {@link maxTtlMs}: the manager checks before the session is set
   * up, and the servers may grant a shorter one than was asked.
   *
   * @throws InvalidLockOptionsError
   */
  checkTtl(ttlMs: number): void {
    const limit = this.maxTtlMs;
    if (ttlMs > limit) {
      throw new InvalidLockOptionsError(
        'ttl',
        `is ${ttlMs} ms, longer than the ZooKeeper session timeout the servers granted (${limit} ms): an expired session frees its locks, so no lease may outlast it; ask for a longer sessionTimeoutMs (up to the servers' maxSessionTimeout) or a shorter ttl`,
      );
    }
  }

  parent(key: string): string {
    const parent = parentPath(this.rootPath, key);
    this.janitor.used(parent);
    return parent;
  }

  /** Learns the store's clock from a write's stamp (`ctime`, `mtime`) just answered. */
  noteStoreNow(storeMs: number): void {
    this.#clockOffsetMs = storeMs - Date.now();
    this.#clockLearnedAt = performance.now();
  }

  /**
   * This process's estimate of the store's clock, from the last write's stamp (off by up to a
   * round trip); `undefined` before any write, or when the last one is over a minute old.
   */
  storeNowEstimate(): number | undefined {
    if (this.#clockLearnedAt === undefined) return undefined;
    if (performance.now() - this.#clockLearnedAt > CLOCK_ESTIMATE_LIFE_MS) return undefined;
    return Date.now() + this.#clockOffsetMs;
  }

  /** Remembers `owner`'s node of `key`, and what this backend last wrote to it when known. */
  rememberOwn(key: string, owner: string, path: string, state?: OwnState): void {
    this.#own.set(`${key}\0${owner}`, { path, state });
    if (state) {
      const storeNow = this.storeNowEstimate();
      // Without an estimate of the store's clock, the longest a lease may last.
      const left = storeNow === undefined ? this.maxTtlMs : state.deadline - storeNow;
      this.janitor.wrote(path, state.version, left);
    }
  }

  forgetOwn(key: string, owner: string): void {
    const mine = `${key}\0${owner}`;
    const known = this.#own.get(mine);
    if (known) this.janitor.gone(known.path);
    this.#own.delete(mine);
  }

  knownOwn(key: string, owner: string): OwnNode | undefined {
    return this.#own.get(`${key}\0${owner}`);
  }

  /** The queue of `key` in order; empty when the key has no parent node (yet). */
  async queue(key: string): Promise<QueueEntry[]> {
    try {
      return queueOrder(await this.session.getChildren(this.parent(key)));
    } catch (error) {
      if (isZk(error, ZK_NO_NODE)) return [];
      throw error;
    }
  }

  /**
   * The nodes `owner` has in `key`'s queue, oldest first: the known one when it still exists,
   * else those the queue lists.
   */
  async ownNodes(key: string, owner: string): Promise<string[]> {
    const known = this.knownOwn(key, owner)?.path;
    if (known !== undefined) return [known];
    const parent = this.parent(key);
    return (await this.queue(key))
      .filter((entry) => entry.owner === owner)
      .map((entry) => `${parent}/${entry.name}`);
  }

  /** A node's data and stat; `undefined` when it is gone. */
  async read(path: string, owner: string): Promise<NodeState | undefined> {
    let answer: Awaited<ReturnType<ZooKeeperSession['getData']>>;
    try {
      answer = await this.session.getData(path);
    } catch (error) {
      if (isZk(error, ZK_NO_NODE)) return undefined;
      throw error;
    }
    const data = readNodeData(answer.data);
    if (!data) {
      throw zooKeeperError(
        'read',
        undefined,
        `the node ${path} does not hold a lease of this backend (its data is not {"t":<ttl>...}); is another program writing under the root path?`,
      );
    }
    return { ...data, ...readStat(answer.stat), path, owner };
  }

  /** Creates `key`'s parent node (and the root) when missing. */
  async ensureParent(key: string): Promise<void> {
    const parent = this.parent(key);
    for (let tries = 0; ; tries++) {
      try {
        await this.session.create(parent, Buffer.alloc(0), CREATE_PERSISTENT);
        return;
      } catch (error) {
        if (isZk(error, ZK_NODE_EXISTS)) return;
        // No root yet (its own parent, such as the chroot, must exist).
        if (!isZk(error, ZK_NO_NODE) || tries > 0) throw error;
        await this.session.mkdirp(this.rootPath);
      }
    }
  }
}
