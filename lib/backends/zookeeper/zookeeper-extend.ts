import { InvalidLockOptionsError } from '../../contract/errors.js';
import type { ExtendResult } from '../../contract/lease.js';
import type { OwnState, ZooKeeperContext } from './zookeeper-context.js';
import {
  isZk,
  ZK_BAD_VERSION,
  ZK_NO_NODE,
  ZK_SESSION_EXPIRED,
  zooKeeperError,
} from './zookeeper-errors.js';
import { deadlineOf, nodeData, readStat } from './zookeeper-node-data.js';

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
  context.checkTtl(ttlMs);
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
  const known = context.knownOwn(key, owner);
  if (known?.state) {
    // What this backend last wrote is still there if the node's version is: one write.
    if (known.state.waiting) return undefined;
    const data = nodeData({ ttlMs, waiting: false, permits: permits ?? known.state.permits });
    const outcome = await restampAs(context, key, owner, known.path, known.state, data, ttlMs);
    if (outcome !== WRITTEN_MEANWHILE) return outcome;
  }
  for (const path of await context.ownNodes(key, owner)) {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const node = await context.read(path, owner);
      if (!node) break;
      if (node.waiting) return undefined;
      const data = nodeData({ ttlMs, waiting: false, permits: permits ?? node.permits });
      const state = {
        czxid: node.czxid,
        version: node.version,
        waiting: false,
        permits: permits ?? node.permits,
        deadline: deadlineOf(node),
      };
      const outcome = await restampAs(context, key, owner, path, state, data, ttlMs);
      if (outcome !== WRITTEN_MEANWHILE) return outcome;
    }
    context.forgetOwn(key, owner);
  }
  return undefined;
}

/** Another write of the node came first (another extend of this lease, a retried acquire). */
const WRITTEN_MEANWHILE = Symbol('written meanwhile');

/**
 * Re-stamps the node at `path` if it is still at `state`'s version: its new expiry, `undefined`
 * when it is gone or had run out before this write, or WRITTEN_MEANWHILE.
 */
async function restampAs(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  path: string,
  state: OwnState,
  data: Buffer,
  ttlMs: number,
): Promise<number | undefined | typeof WRITTEN_MEANWHILE> {
  let stat: ReturnType<typeof readStat>;
  try {
    stat = readStat(await context.session.setData(path, data, state.version));
  } catch (error) {
    if (isZk(error, ZK_BAD_VERSION)) return WRITTEN_MEANWHILE;
    if (!isZk(error, ZK_NO_NODE)) throw error;
    context.forgetOwn(key, owner);
    return undefined;
  }
  if (stat.mtime >= state.deadline) {
    // Past its deadline before this write: not resurrected (a contender may have judged it
    // expired meanwhile); removed unless written since.
    context.forgetOwn(key, owner);
    await context.session.remove(path, stat.version).catch(() => undefined);
    return undefined;
  }
  context.noteStoreNow(stat.mtime);
  context.rememberOwn(key, owner, path, {
    ...state,
    version: stat.version,
    deadline: stat.mtime + ttlMs,
  });
  return stat.mtime + ttlMs;
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
    // Bad input (a ttl longer than the session allows) is the caller's, not the store's.
    const first: unknown = settled[0]!.reason;
    if (first instanceof InvalidLockOptionsError) throw first;
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
