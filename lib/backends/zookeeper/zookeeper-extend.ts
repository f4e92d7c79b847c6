import type { ExtendResult } from '../../contract/lease.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import {
  isZk,
  ZK_BAD_VERSION,
  ZK_NO_NODE,
  ZK_SESSION_EXPIRED,
  zooKeeperError,
} from './zookeeper-errors.js';
import { deadlineOf, nodeData, readStat } from './zookeeper-node-data.js';
import { removeIfUnchanged } from './zookeeper-queue-writes.js';

/** Reads and writes an extend makes when its own concurrent writes keep changing the node. */
const MAX_TRIES = 5;

/**
 * Extends `owner`'s lease on `key` to `ttlMs` from the store's now: a version-checked `setData`
 * re-stamps the node's `mtime`, and the new `mtime` is the store's now. When that now is already
 * past the lease's old deadline the lease had run out before this extend: it is not resurrected
 * (the node is removed, version-checked, and the answer is `undefined`), as a contender may have
 * judged it expired meanwhile. A waiter's ticket is no lease: `undefined`.
 */
export async function extendNode(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  ttlMs: number,
  permits: number | undefined,
): Promise<number | undefined> {
  try {
    return await restamp(context, key, owner, ttlMs, permits);
  } catch (error) {
    // The session that held the node expired (and a client passed in cannot open another):
    // its ephemeral nodes, this lease's among them, are gone.
    if (isZk(error, ZK_SESSION_EXPIRED)) return undefined;
    throw error;
  }
}

async function restamp(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  ttlMs: number,
  permits: number | undefined,
): Promise<number | undefined> {
  for (const path of await context.ownNodes(key, owner)) {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const node = await context.read(path, owner);
      if (!node) break;
      if (node.waiting) return undefined;
      let stat: ReturnType<typeof readStat>;
      try {
        stat = readStat(
          await context.session.setData(
            path,
            nodeData({ ttlMs, waiting: false, permits: permits ?? node.permits }),
            node.version,
          ),
        );
      } catch (error) {
        // Written meanwhile: only its owner writes a held node (another extend of this lease,
        // a retried acquire), so read it again; gone: the lease is.
        if (isZk(error, ZK_BAD_VERSION)) continue;
        if (isZk(error, ZK_NO_NODE)) break;
        throw error;
      }
      if (stat.mtime >= deadlineOf(node)) {
        context.forgetOwn(key, owner);
        await removeIfUnchanged(context.session, { ...node, ...stat }).catch(() => false);
        return undefined;
      }
      return stat.mtime + ttlMs;
    }
    context.forgetOwn(key, owner);
  }
  return undefined;
}

/**
 * Extends many leases at once, each on its own: the results in order, a lease's own error where
 * only some failed, a rejection when every one failed.
 */
export async function extendEach<Lease>(
  leases: readonly Lease[],
  keyOf: (lease: Lease) => string | undefined,
  extend: (lease: Lease) => Promise<number | undefined>,
): Promise<ExtendResult[]> {
  const settled = await Promise.allSettled(leases.map(extend));
  if (settled.length > 0 && settled.every((each) => each.status === 'rejected')) {
    throw zooKeeperError(
      'extend',
      leases.length === 1 ? keyOf(leases[0]!) : undefined,
      settled[0]!.reason,
    );
  }
  return settled.map((each, i) =>
    each.status === 'fulfilled'
      ? each.value
      : zooKeeperError('extend', keyOf(leases[i]!), each.reason),
  );
}
