import type { LeaseInfo } from '../../contract/lease.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import { isZk, ZK_NO_NODE } from './zookeeper-errors.js';
import { deadlineOf, type NodeState, readStat } from './zookeeper-node-data.js';

/** An empty write to a key's parent: its new `mtime` is the store's now. */
const EMPTY = Buffer.alloc(0);

/**
 * The lease on `key`: the first live node of its queue (a semaphore: the live permits among its
 * first `permits` nodes, described by the last of them), or `null`. Expiry is judged by the
 * store's clock, read from an empty write of the key's parent node made for the purpose.
 */
export async function inspectQueue(
  context: ZooKeeperContext,
  key: string,
): Promise<LeaseInfo | null> {
  const { session } = context;
  const parent = context.parent(key);
  let now: number;
  let entries: Awaited<ReturnType<ZooKeeperContext['queue']>>;
  try {
    const [stat, queue] = await Promise.all([
      session.setData(parent, EMPTY, -1),
      context.queue(key),
    ]);
    now = readStat(stat).mtime;
    entries = queue;
  } catch (error) {
    if (isZk(error, ZK_NO_NODE)) return null;
    throw error;
  }
  const nodes = await Promise.all(
    entries.map((entry) => context.read(`${parent}/${entry.name}`, entry.owner)),
  );
  const live = nodes.filter(
    (node): node is NodeState => node !== undefined && deadlineOf(node) > now,
  );
  const head = live[0];
  if (!head) return null;
  if (head.permits === undefined) {
    return { key, owner: head.owner, fencingToken: head.czxid, expiresAt: deadlineOf(head) };
  }
  const permits = live.slice(0, head.permits);
  const last = permits.reduce((a, b) => (b.czxid > a.czxid ? b : a));
  return {
    key,
    owner: last.owner,
    fencingToken: last.czxid,
    expiresAt: deadlineOf(last),
    holders: permits.length,
  };
}
