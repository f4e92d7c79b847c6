import type {
  InstanceListing,
  InstanceRecord,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import { byId, leaseListing } from '../shared/lease-listing.js';
import type { ZooKeeperCalls } from './zookeeper-calls.js';
import { CREATE_EPHEMERAL } from './zookeeper-client.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import {
  directoryPath,
  readRecordData,
  recordData,
  recordsPath,
  textOfName,
} from './zookeeper-directory-nodes.js';
import { isZk, ZK_NO_NODE, ZK_NODE_EXISTS } from './zookeeper-errors.js';
import { encodeName, parentPath, queueOrder } from './zookeeper-names.js';
import { deadlineOf, type NodeState, readStat } from './zookeeper-node-data.js';

/** How many keys (or records) a listing reads at once. */
const CONCURRENT_READS = 16;
const EMPTY = Buffer.alloc(0);

/**
 * The ZooKeeper backend's directory. `now` is the store's clock: the `mtime` of an empty write
 * of `<root>/.directory` each listing makes (the leader stamps it), the clock every node's
 * deadline (`mtime` + its ttl) is judged by.
 *
 * - `list`: the root's children (one per key in use; ZooKeeper lists no prefix, so the names are
 *   filtered here), then, for each key under the prefix, {@link CONCURRENT_READS} at a time, its
 *   children and its holders' data, decided as acquire and inspect decide them: the first live
 *   node of the queue holds (a fair queue's head included), the first N live nodes of a
 *   semaphore, N as its nodes say. Nodes are read in queue order only until the holders are
 *   found. Cost: one write, a read of the root, and per key under the prefix one getChildren and
 *   about one getData per holder.
 * - Instance records: an ephemeral node per record (see zookeeper-directory-nodes.ts), written
 *   with the payload and the ttl: its deadline is its `mtime` + the ttl, by the store's clock,
 *   and a record past it is left out; the node itself goes with the session that wrote it, so a
 *   process that dies leaves no record behind. `announce` overwrites the node this session wrote,
 *   or creates it (replacing another session's node of the same id, which would go with that
 *   session).
 *
 * @example
 * ```ts
 * const { leases, now } = await backend.directory.list('locker:', 100);
 * ```
 */
export class ZooKeeperDirectory implements LockDirectory {
  /** The record nodes this session created: they are overwritten in place. */
  readonly #written = new Set<string>();

  constructor(
    private readonly context: ZooKeeperContext,
    private readonly calls: ZooKeeperCalls,
  ) {
    context.session.onNewSession(() => this.#written.clear());
  }

  list(prefix: string, limit: number): Promise<LeaseListing> {
    return this.calls.run('list', prefix, async () => {
      const [now, names] = await Promise.all([
        this.#storeNow(),
        this.#children(this.context.rootPath),
      ]);
      const keys = names
        .map(textOfName)
        .filter((key): key is string => key?.startsWith(prefix) === true);
      const found = await eachAtMost(keys, (key) => this.#holders(key, now));
      return leaseListing(found.flat(), limit, now);
    });
  }

  announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    return this.calls.run('announce', prefix, async () => {
      const { session } = this.context;
      const parent = recordsPath(this.context.rootPath, prefix);
      const path = `${parent}/${encodeName(id)}`;
      const data = recordData({ ttlMs, payload });
      if (this.#written.has(path)) {
        try {
          await session.setData(path, data, -1);
          return;
        } catch (error) {
          if (!isZk(error, ZK_NO_NODE)) throw error;
        }
      }
      for (let tries = 0; ; tries++) {
        try {
          await session.create(path, data, CREATE_EPHEMERAL);
          break;
        } catch (error) {
          if (tries > 1) throw error;
          if (isZk(error, ZK_NO_NODE)) {
            await session.mkdirp(parent);
          } else if (isZk(error, ZK_NODE_EXISTS)) {
            // Another session's node (an earlier process of this instance): it would go with
            // that session, so it is replaced by one of this session.
            try {
              await session.multi([
                { op: 'remove', path, version: -1 },
                { op: 'create', path, data, mode: CREATE_EPHEMERAL },
              ]);
              break;
            } catch (lost) {
              // Removed meanwhile: created again on the next try.
              if (!isZk(lost, ZK_NO_NODE)) throw lost;
            }
          } else {
            throw error;
          }
        }
      }
      this.#written.add(path);
    });
  }

  withdraw(prefix: string, id: string): Promise<void> {
    return this.calls.run('withdraw', prefix, async () => {
      const path = `${recordsPath(this.context.rootPath, prefix)}/${encodeName(id)}`;
      this.#written.delete(path);
      try {
        await this.context.session.remove(path, -1);
      } catch (error) {
        if (!isZk(error, ZK_NO_NODE)) throw error;
      }
    });
  }

  instances(prefix: string): Promise<InstanceListing> {
    return this.calls.run('instances', prefix, async () => {
      const parent = recordsPath(this.context.rootPath, prefix);
      const [now, names] = await Promise.all([this.#storeNow(), this.#children(parent)]);
      const read = await eachAtMost(names, async (name): Promise<InstanceRecord[]> => {
        const id = textOfName(name);
        const node = id === undefined ? undefined : await this.#data(`${parent}/${name}`);
        const record = node && readRecordData(node.data);
        if (id === undefined || !node || !record) return [];
        const expiresAt = readStat(node.stat).mtime + record.ttlMs;
        return expiresAt > now ? [{ id, payload: record.payload, expiresAt }] : [];
      });
      return { instances: read.flat().sort(byId), now };
    });
  }

  /** The live holders of `key` by the store's `now`, reading its queue in order until found. */
  async #holders(key: string, now: number): Promise<ListedLease[]> {
    const parent = parentPath(this.context.rootPath, key);
    const entries = queueOrder(await this.#children(parent));
    const live: NodeState[] = [];
    let holders = 1;
    for (let at = 0; live.length < holders && at < entries.length; ) {
      const batch = entries.slice(at, at + holders - live.length);
      at += batch.length;
      const nodes = await Promise.all(
        batch.map((entry) => this.context.read(`${parent}/${entry.name}`, entry.owner)),
      );
      for (const node of nodes) {
        if (!node || deadlineOf(node) <= now) continue;
        if (live.length === 0 && node.permits !== undefined) holders = node.permits;
        live.push(node);
      }
    }
    return live.slice(0, holders).map((node) => ({
      key,
      owner: node.owner,
      fencingToken: node.czxid,
      expiresAt: deadlineOf(node),
      kind: node.permits === undefined ? 'mutex' : 'permit',
    }));
  }

  /** The store's clock: the `mtime` of an empty write of the directory's node (made if missing). */
  async #storeNow(): Promise<number> {
    const path = directoryPath(this.context.rootPath);
    try {
      return readStat(await this.context.session.setData(path, EMPTY, -1)).mtime;
    } catch (error) {
      if (!isZk(error, ZK_NO_NODE)) throw error;
      await this.context.session.mkdirp(path);
      return readStat(await this.context.session.setData(path, EMPTY, -1)).mtime;
    }
  }

  /** A node's children; none when it is missing. */
  async #children(path: string): Promise<string[]> {
    try {
      return await this.context.session.getChildren(path);
    } catch (error) {
      if (isZk(error, ZK_NO_NODE)) return [];
      throw error;
    }
  }

  async #data(path: string) {
    try {
      return await this.context.session.getData(path);
    } catch (error) {
      if (isZk(error, ZK_NO_NODE)) return undefined;
      throw error;
    }
  }
}

/** `read` of each item, at most {@link CONCURRENT_READS} in flight, answers in item order. */
async function eachAtMost<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const answers: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) answers[i] = await read(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, items.length) }, worker));
  return answers;
}
