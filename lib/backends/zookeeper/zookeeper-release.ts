import type { ZooKeeperContext } from './zookeeper-context.js';
import { removeNode } from './zookeeper-queue-writes.js';

/**
 * Removes `owner`'s node(s) of `key`: a held lease (`true`) or a waiter's ticket (`false`, as is
 * a key the owner had no node of). The removal wakes, through their watches, the waiters behind.
 */
export async function releaseNodes(
  context: ZooKeeperContext,
  key: string,
  owner: string,
): Promise<boolean> {
  const paths = await context.ownNodes(key, owner);
  context.forgetOwn(key, owner);
  const released = await Promise.all(
    paths.map(async (path) => {
      // Read and removed in one round trip (pipelined): the read tells a lease from a ticket.
      const [node, removed] = await Promise.all([
        context.read(path, owner).catch(() => undefined),
        removeNode(context.session, path),
      ]);
      return removed && node !== undefined && !node.waiting;
    }),
  );
  return released.some(Boolean);
}
