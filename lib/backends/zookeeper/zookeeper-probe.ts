import type { AcquireResult } from '../../contract/lease.js';
import type { ZooKeeperContext } from './zookeeper-context.js';
import { deadlineOf } from './zookeeper-node-data.js';

/**
 * How close to its deadline (by this process's estimate of the store's clock) a holder must be for
 * the probe to leave the judgement to the store: the estimate is off by up to a round trip, and
 * by the store clock's drift since it was learned.
 */
const NEAR_DEADLINE_MS = 250;

/**
 * A plain or semaphore attempt's look before it writes: when the key's first nodes (its holders)
 * are all live by this process's estimate of the store's clock, the attempt is a miss, found by
 * reads alone. Waiters woken by a release otherwise each create and remove a node to learn that
 * another got in first: two writes per waiter and release, every one through the quorum. The
 * probe never grants: `undefined` (the key looks free, a holder may have expired, a node of this
 * owner is there, or no write has taught this process the store's clock yet) sends the attempt
 * to the recipe, which decides with the store's own clock.
 */
export async function probeBusy(
  context: ZooKeeperContext,
  key: string,
  owner: string,
  shape: {
    /** How many of the queue's first live nodes hold: 1, or a semaphore's permits. */
    readonly holders: number;
    readonly permits: number | undefined;
    /** A fair attempt queues by writing: no probe. */
    readonly fair: object | undefined;
  },
): Promise<AcquireResult | undefined> {
  if (shape.fair || context.knownOwn(key, owner)) return undefined;
  const storeNow = context.storeNowEstimate();
  if (storeNow === undefined) return undefined;
  const entries = await context.queue(key);
  if (entries.length < shape.holders || entries.some((entry) => entry.owner === owner)) {
    return undefined;
  }
  const parent = context.parent(key);
  const blocking = entries.slice(0, shape.holders);
  const nodes = await Promise.all(
    blocking.map((entry) => context.read(`${parent}/${entry.name}`, entry.owner)),
  );
  let frees = Number.POSITIVE_INFINITY;
  for (const node of nodes) {
    // Gone meanwhile, a ticket, the other kind of lease, or near its end: the recipe decides.
    if (!node || node.waiting || (node.permits === undefined) !== (shape.permits === undefined)) {
      return undefined;
    }
    const left = deadlineOf(node) - storeNow;
    if (left <= NEAR_DEADLINE_MS) return undefined;
    frees = Math.min(frees, left);
  }
  if (context.wakeups.isWaitedFor(key)) {
    await context.wakeups.watch(
      key,
      nodes.map((node) => node!.path),
    );
  }
  return { acquired: false, retryAfterMs: Math.max(1, Math.round(frees)) };
}
