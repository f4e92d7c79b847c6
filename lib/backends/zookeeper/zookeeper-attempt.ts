import type { AcquireResult } from '../../contract/lease.js';
import { CREATE_EPHEMERAL_SEQUENTIAL } from './zookeeper-client.js';
import { type OwnState, PARENT_TRIES, type ZooKeeperContext } from './zookeeper-context.js';
import { isZk, ZK_NO_NODE, zooKeeperError } from './zookeeper-errors.js';
import { ownNodePrefix, type QueueEntry, queueOrder } from './zookeeper-names.js';
import { deadlineOf, type NodeState, nodeData, readStat } from './zookeeper-node-data.js';
import { probeBusy } from './zookeeper-probe.js';
import { isLostRace, removeIfUnchanged, removeNode } from './zookeeper-queue-writes.js';
import { releaseNodes } from './zookeeper-release.js';

/** What kind of lease an attempt asks for. */
export interface AttemptShape {
  /** How many of the queue's first live nodes hold: 1, or a semaphore's permits. */
  readonly holders: number;
  /** A semaphore's permits, written in its nodes; `undefined` for a mutex. */
  readonly permits: number | undefined;
  /** A fair attempt: the node queues as a waiter's ticket, and stays while busy with `join`. */
  readonly fair: { readonly ticketTtlMs: number; readonly join: boolean } | undefined;
}

/** An attempt that lost a race with a concurrent write of its own node, to be made again. */
const START_OVER = Symbol('start over');

/** Attempts a node loses to races before it answers a miss. */
const MAX_ROUNDS = 3;

/**
 * One acquire attempt on `key`'s queue of ephemeral sequential nodes (the ZooKeeper lock recipe,
 * with leases): the owner's node (created, or found again: idempotent) holds when fewer than
 * `holders` live nodes are ahead of it. A node ahead whose deadline (`mtime` + its ttl) has
 * passed by the store's clock is removed, version-checked, so that an extend that landed
 * meanwhile wins. The store's "now" is the write this attempt makes anyway: the `ctime` of the
 * node it created, or the `mtime` of its node's refresh.
 *
 * On a miss a plain or semaphore attempt removes its node; a fair one that joins keeps it (its
 * place in the queue). When this process waits for the key, the miss leaves a watch on the node
 * it waits behind.
 */
export async function attemptInQueue(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  ttlMs: number,
  shape: AttemptShape,
): Promise<AcquireResult> {
  context.checkTtl(ttlMs);
  const busy = await probeBusy(context, key, owner, shape);
  if (busy) return busy;
  for (let round = 1; ; round++) {
    const result = await attemptOnce(context, key, owner, ttlMs, shape);
    if (result === START_OVER) {
      if (round === MAX_ROUNDS) return { acquired: false, retryAfterMs: undefined };
      continue;
    }
    if (result.acquired && ttlMs > context.maxTtlMs) {
      // The first call of a session learns the timeout the servers granted only once connected.
      await releaseNodes(context, key, owner);
      context.checkTtl(ttlMs);
    }
    return result;
  }
}

async function attemptOnce(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  ttlMs: number,
  shape: AttemptShape,
): Promise<AcquireResult | typeof START_OVER> {
  const { session } = context;
  const parent = context.parent(key);
  const holderData = nodeData({ ttlMs, waiting: false, permits: shape.permits });
  const ticketData = shape.fair
    ? nodeData({ ttlMs: shape.fair.ticketTtlMs, waiting: true, permits: undefined })
    : undefined;

  const cached = context.knownOwn(key, owner);
  let own = cached?.path;
  let entries: QueueEntry[] | undefined;
  let known: OwnState | undefined;
  let created = false;
  if (own !== undefined) {
    // The queue, and the node unless this backend knows what it last wrote there (pipelined:
    // one round trip).
    const [queue, node] = await Promise.all([
      context.queue(key),
      cached?.state ?? context.read(own, owner),
    ]);
    if (node && queue.some((entry) => `${parent}/${entry.name}` === own)) {
      entries = queue;
      known = 'deadline' in node ? node : ownState(node);
    } else {
      context.forgetOwn(key, owner);
      own = undefined;
    }
  }
  if (own === undefined || entries === undefined) {
    ({ path: own, entries } = await createOwn(context, key, owner, ticketData ?? holderData));
    created = true;
  }

  // The oldest node of this owner is its place (a create whose answer was lost may have left one
  // before this attempt's); any other is removed.
  const mine = entries.filter((entry) => entry.owner === owner);
  const oldest = mine[0] ? `${parent}/${mine[0].name}` : own;
  const strays = mine.slice(1).map((entry) => `${parent}/${entry.name}`);
  if (oldest !== own) {
    created = false;
    known = undefined;
  }
  own = oldest;
  const at = entries.findIndex((entry) => `${parent}/${entry.name}` === own);
  const ahead = entries.slice(0, Math.max(0, at));

  const [read, ...others] = await Promise.all([
    known ? undefined : context.read(own, owner),
    ...ahead.map((entry) => context.read(`${parent}/${entry.name}`, entry.owner)),
    ...strays.map((path) => removeNode(session, path).then(() => undefined)),
  ]);
  const self = known ?? read;
  if (!self) {
    // Our node was removed meanwhile: its ticket or lease had run out.
    context.forgetOwn(key, owner);
    return START_OVER;
  }
  /** Writes `data` to our node, version-checked; its new stat, or START_OVER when it changed. */
  const write = async (data: Buffer, version: number, waiting: boolean, ttl: number) => {
    try {
      const stat = readStat(await session.setData(own, data, version));
      context.noteStoreNow(stat.mtime);
      context.rememberOwn(key, owner, own, {
        czxid: self.czxid,
        version: stat.version,
        waiting,
        permits: waiting ? undefined : shape.permits,
        deadline: stat.mtime + ttl,
      });
      return stat;
    } catch (error) {
      if (!isLostRace(error)) throw error;
      context.forgetOwn(key, owner);
      return START_OVER;
    }
  };
  const held = (expiresAt: number): AcquireResult => ({
    acquired: true,
    fencingToken: self.czxid,
    expiresAt,
  });

  if (!created && ahead.length === 0) {
    // Nothing ahead (a waiter at the head, a held lease retried): one write is both the refresh
    // and the lease, and its mtime the store's now.
    const stat = await write(holderData, self.version, false, ttlMs);
    return stat === START_OVER ? START_OVER : held(stat.mtime + ttlMs);
  }

  let now: number;
  let version = self.version;
  const waiting = created ? ticketData !== undefined : self.waiting && ticketData !== undefined;
  if (created) {
    // Not known, so read: it has a ctime.
    now = (read as NodeState).ctime;
    context.noteStoreNow(now);
    const ttl = waiting ? shape.fair!.ticketTtlMs : ttlMs;
    context.rememberOwn(key, owner, own, {
      czxid: self.czxid,
      version,
      waiting,
      permits: waiting ? undefined : shape.permits,
      deadline: now + ttl,
    });
  } else {
    // A node found again: a held lease retried (refreshed to ttlMs), or a waiter's new attempt
    // (its ticket refreshed). Either way the write's mtime is the store's now.
    const ttl = waiting ? shape.fair!.ticketTtlMs : ttlMs;
    const stat = await write(waiting ? ticketData! : holderData, version, waiting, ttl);
    if (stat === START_OVER) return START_OVER;
    now = stat.mtime;
    version = stat.version;
  }

  const live = await liveNodes(context, key, shape, others, now);
  if (live.length < shape.holders) {
    if (!waiting) return held(now + ttlMs);
    // A waiter at the head of the queue: its ticket becomes the lease.
    const stat = await write(holderData, version, false, ttlMs);
    return stat === START_OVER ? START_OVER : held(stat.mtime + ttlMs);
  }

  const join = shape.fair?.join === true;
  const blocking = shape.fair ? live.slice(-1) : live.slice(0, shape.holders);
  const watched = context.wakeups.isWaitedFor(key)
    ? context.wakeups.watch(
        key,
        blocking.map((node) => node.path),
      )
    : undefined;
  if (!join) {
    context.forgetOwn(key, owner);
    await removeNode(session, own);
  }
  await watched;
  const frees = Math.min(...live.slice(0, shape.holders).map((node) => deadlineOf(node) - now));
  return { acquired: false, retryAfterMs: Math.max(1, frees) };
}

/** Creates the owner's node and lists the queue after it (pipelined: one round trip). */
async function createOwn(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  data: Buffer,
): Promise<{ path: string; entries: QueueEntry[] }> {
  const { session } = context;
  const parent = context.parent(key);
  for (let tries = 0; ; tries++) {
    const [made, listed] = await Promise.allSettled([
      session.create(ownNodePrefix(parent, owner), data, CREATE_EPHEMERAL_SEQUENTIAL),
      session.getChildren(parent),
    ]);
    if (made.status === 'fulfilled') {
      if (listed.status === 'fulfilled') {
        return { path: made.value, entries: queueOrder(listed.value) };
      }
      await removeNode(session, made.value).catch(() => false);
      throw listed.reason;
    }
    // No parent: never made, or removed as idle (by any process's janitor) since: make it again.
    if (!isZk(made.reason, ZK_NO_NODE) || tries >= PARENT_TRIES) throw made.reason;
    await context.ensureParent(key);
  }
}

/**
 * The nodes ahead that still count, in queue order: those whose deadline has not passed by
 * `now`, and the expired ones whose removal lost to a write of their owner.
 */
async function liveNodes(
  context: ZooKeeperContext,
  key: string,
  shape: AttemptShape,
  nodes: readonly (NodeState | undefined)[],
  now: number,
): Promise<NodeState[]> {
  const present = nodes.filter((node): node is NodeState => node !== undefined);
  for (const node of present) {
    if ((node.permits === undefined) !== (shape.permits === undefined)) {
      throw zooKeeperError(
        'acquire',
        key,
        `the key is held as a ${node.permits === undefined ? 'mutex' : 'semaphore'}; a key is used either as a mutex or as a semaphore, never both`,
      );
    }
  }
  const expired = present.filter((node) => deadlineOf(node) <= now);
  const kept = await Promise.all(
    expired.map(async (node) => !(await removeIfUnchanged(context.session, node))),
  );
  return present.filter((node) => deadlineOf(node) > now || kept[expired.indexOf(node)]);
}

/** What a read of our node tells, as this backend keeps it. */
function ownState(node: NodeState): OwnState {
  return {
    czxid: node.czxid,
    version: node.version,
    waiting: node.waiting,
    permits: node.permits,
    deadline: deadlineOf(node),
  };
}
