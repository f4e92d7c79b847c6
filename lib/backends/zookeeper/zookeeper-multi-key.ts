import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import type { MultiKeyLeaseToExtend, MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { ZooKeeperCalls } from './zookeeper-calls.js';
import { CREATE_EPHEMERAL_SEQUENTIAL } from './zookeeper-client.js';
import { PARENT_TRIES, type ZooKeeperContext } from './zookeeper-context.js';
import { isZk, ZK_BAD_VERSION, ZK_NO_NODE, ZK_SESSION_EXPIRED } from './zookeeper-errors.js';
import { extendEach } from './zookeeper-extend.js';
import { ownNodePrefix, type QueueEntry, queueOrder } from './zookeeper-names.js';
import { deadlineOf, type NodeState, nodeData, readStat } from './zookeeper-node-data.js';
import { removeIfUnchanged, removeNode } from './zookeeper-queue-writes.js';
import { releaseNodes } from './zookeeper-release.js';

/** A multi of an extend lost to another write of the same lease's nodes. */
const WRITTEN_MEANWHILE = Symbol('written meanwhile');
const MAX_EXTEND_TRIES = 5;

/**
 * Multi-key leases: the owner's node in every key's queue, created in one `multi` (all or none,
 * one zxid, so every node has the same `czxid`: the lease's one fencing token, above every earlier
 * token of each key). The lease holds when no live node is ahead of it in any queue; otherwise
 * every node is removed again (in one `multi`), so a multi-key waiter never holds one key while
 * waiting for another, and callers naming the same keys in any order cannot deadlock. Each key
 * then reads as a mutex lease of the owner.
 */
export class ZooKeeperMultiKeyLocks implements MultiKeyLocks {
  constructor(
    private readonly context: ZooKeeperContext,
    private readonly calls: ZooKeeperCalls,
  ) {}

  acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.calls.run('acquire', keys[0], () => this.#acquire(keys, owner, ttlMs));
  }

  extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    return extendEach(
      leases,
      (lease) => lease.keys[0],
      (lease) =>
        this.calls.run('extend', lease.keys[0], () =>
          this.#extend(lease.keys, lease.owner, lease.ttlMs).catch((error: unknown) => {
            // The session that held the nodes expired: they are gone.
            if (isZk(error, ZK_SESSION_EXPIRED)) return undefined;
            throw error;
          }),
        ),
    );
  }

  release(keys: readonly string[], owner: string): Promise<boolean> {
    return this.calls.run('release', keys[0], async () => {
      const released = await Promise.all(keys.map((key) => releaseNodes(this.context, key, owner)));
      return released.some(Boolean);
    });
  }

  async #acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    this.context.checkTtl(ttlMs);
    const { session } = this.context;
    const data = nodeData({ ttlMs, waiting: false, permits: undefined });
    const { paths, queues } = await this.#createAll(keys, owner, data);
    // Nodes of this owner from before (a retried acquire): the lease is those when every key has
    // one, refreshed; else they are strays.
    const older = keys.map((key, i) => this.#older(key, owner, queues[i]!, paths[i]!));
    if (older.every((path) => path !== undefined)) {
      await session.multi(paths.map((path) => ({ op: 'remove', path, version: -1 })));
      return this.#refresh(keys, owner, older as string[], data, ttlMs);
    }
    await Promise.all(older.map((path) => (path ? removeNode(session, path) : false)));

    const aheads = keys.map((key, i) => this.#ahead(key, owner, queues[i]!, paths[i]!));
    const [self, ...states] = await Promise.all([
      this.context.read(paths[0]!, owner),
      ...aheads.flat().map(({ path, owner: their }) => this.context.read(path, their)),
    ]);
    if (!self) return { acquired: false, retryAfterMs: undefined };
    const now = self.ctime;
    let at = 0;
    const blocked: NodeState[][] = [];
    for (const ahead of aheads) {
      const nodes = states.slice(at, at + ahead.length);
      at += ahead.length;
      blocked.push(await this.#live(nodes, now));
    }
    if (blocked.every((live) => live.length === 0)) {
      this.#remember(keys, owner, paths);
      return { acquired: true, fencingToken: self.czxid, expiresAt: now + ttlMs };
    }

    const waitedFor = keys.findIndex((_, i) => blocked[i]!.length > 0);
    const key = keys[waitedFor]!;
    const watched = this.context.wakeups.isWaitedFor(key)
      ? this.context.wakeups.watch(key, [blocked[waitedFor]![0]!.path])
      : undefined;
    await session.multi(paths.map((path) => ({ op: 'remove', path, version: -1 })));
    await watched;
    const frees = Math.max(
      ...blocked.flatMap((live) => (live[0] ? [deadlineOf(live[0]) - now] : [])),
    );
    return { acquired: false, retryAfterMs: Math.max(1, frees) };
  }

  #remember(keys: readonly string[], owner: string, paths: readonly string[]): void {
    for (const [i, key] of keys.entries()) this.context.rememberOwn(key, owner, paths[i]!);
  }

  /** Creates the owner's node in every queue in one `multi`, then lists the queues. */
  async #createAll(
    keys: readonly string[],
    owner: string,
    data: Buffer,
  ): Promise<{ paths: string[]; queues: QueueEntry[][] }> {
    const { session } = this.context;
    for (let tries = 0; ; tries++) {
      const ops = keys.map((key) => ({
        op: 'create' as const,
        path: ownNodePrefix(this.context.parent(key), owner),
        data,
        mode: CREATE_EPHEMERAL_SEQUENTIAL,
      }));
      const [made, ...listed] = await Promise.allSettled([
        session.multi(ops),
        ...keys.map((key) => session.getChildren(this.context.parent(key))),
      ]);
      if (made.status === 'fulfilled') {
        const paths = made.value.map((result) => result.path!);
        const failed = listed.find((each) => each.status === 'rejected');
        if (failed) {
          await Promise.all(paths.map((path) => removeNode(session, path).catch(() => false)));
          throw failed.reason;
        }
        const queues = listed.map((each) =>
          queueOrder((each as PromiseFulfilledResult<string[]>).value),
        );
        return { paths, queues };
      }
      // No parent: never made, or removed as idle (by any process's janitor) since: make it again.
      if (!isZk(made.reason, ZK_NO_NODE) || tries >= PARENT_TRIES) throw made.reason;
      await Promise.all(keys.map((key) => this.context.ensureParent(key)));
    }
  }

  /** The owner's node in `queue` older than `path`, if any. */
  #older(key: string, owner: string, queue: QueueEntry[], path: string): string | undefined {
    const parent = this.context.parent(key);
    const first = queue.find((entry) => entry.owner === owner);
    const found = first ? `${parent}/${first.name}` : undefined;
    return found === path ? undefined : found;
  }

  /** The other owners' nodes ahead of `path` in `queue`. */
  #ahead(
    key: string,
    owner: string,
    queue: QueueEntry[],
    path: string,
  ): { path: string; owner: string }[] {
    const parent = this.context.parent(key);
    const nodes: { path: string; owner: string }[] = [];
    for (const entry of queue) {
      const each = `${parent}/${entry.name}`;
      if (each === path) break;
      if (entry.owner !== owner) nodes.push({ path: each, owner: entry.owner });
    }
    return nodes;
  }

  /** The nodes that still count: live by `now`, or expired but written since they were read. */
  async #live(nodes: readonly (NodeState | undefined)[], now: number): Promise<NodeState[]> {
    const present = nodes.filter((node): node is NodeState => node !== undefined);
    const kept = await Promise.all(
      present.map(
        async (node) =>
          deadlineOf(node) > now || !(await removeIfUnchanged(this.context.session, node)),
      ),
    );
    return present.filter((_, i) => kept[i]);
  }

  /** A retried acquire: the owner's nodes refreshed together, their token kept. */
  async #refresh(
    keys: readonly string[],
    owner: string,
    paths: string[],
    data: Buffer,
    ttlMs: number,
  ): Promise<AcquireResult> {
    const results = await this.context.session.multi(
      paths.map((path) => ({ op: 'setData', path, data, version: -1 })),
    );
    const self = await this.context.read(paths[0]!, owner);
    if (!self) return { acquired: false, retryAfterMs: undefined };
    this.#remember(keys, owner, paths);
    const now = readStat(results[0]!.stat!).mtime;
    return { acquired: true, fencingToken: self.czxid, expiresAt: now + ttlMs };
  }

  /**
   * Re-stamps every key's node in one `multi` of version-checked writes: all or none. A lease
   * that had run out by the store's now (the writes' `mtime`) is removed instead, as the mutex's.
   */
  async #extend(
    keys: readonly string[],
    owner: string,
    ttlMs: number,
  ): Promise<number | undefined> {
    const found = await Promise.all(keys.map((key) => this.context.ownNodes(key, owner)));
    if (found.some((paths) => paths.length === 0)) return undefined;
    const paths = found.map((each) => each[0]!);
    for (let tries = 0; tries < MAX_EXTEND_TRIES; tries++) {
      const outcome = await this.#restamp(keys, owner, paths, ttlMs);
      if (outcome !== WRITTEN_MEANWHILE) return outcome;
    }
    return undefined;
  }

  async #restamp(
    keys: readonly string[],
    owner: string,
    paths: readonly string[],
    ttlMs: number,
  ): Promise<number | undefined | typeof WRITTEN_MEANWHILE> {
    const { session } = this.context;
    const nodes = await Promise.all(paths.map((path) => this.context.read(path, owner)));
    if (nodes.some((node) => node === undefined)) return undefined;
    const held = nodes as NodeState[];
    const data = nodeData({ ttlMs, waiting: false, permits: undefined });
    let now: number;
    try {
      const results = await session.multi(
        held.map((node) => ({ op: 'setData', path: node.path, data, version: node.version })),
      );
      now = readStat(results[0]!.stat!).mtime;
    } catch (error) {
      // Written meanwhile by another extend of this lease: read again. Gone: the lease is.
      if (isZk(error, ZK_BAD_VERSION)) return WRITTEN_MEANWHILE;
      if (isZk(error, ZK_NO_NODE)) return undefined;
      throw error;
    }
    if (held.some((node) => now >= deadlineOf(node))) {
      for (const key of keys) this.context.forgetOwn(key, owner);
      await Promise.all(held.map((node) => removeNode(session, node.path).catch(() => false)));
      return undefined;
    }
    return now + ttlMs;
  }
}
