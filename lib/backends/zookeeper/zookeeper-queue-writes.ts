import { isZk, ZK_BAD_VERSION, ZK_NO_NODE } from './zookeeper-errors.js';
import type { NodeState } from './zookeeper-node-data.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * Removes `node` only if nobody wrote it since it was read (a version-checked delete): an expired
 * holder or ticket whose owner extended or refreshed it meanwhile stays. `true` when it is gone
 * (removed now, or already), `false` when it was written since.
 */
export async function removeIfUnchanged(
  session: ZooKeeperSession,
  node: NodeState,
): Promise<boolean> {
  try {
    await session.remove(node.path, node.version);
    return true;
  } catch (error) {
    if (isZk(error, ZK_NO_NODE)) return true;
    if (isZk(error, ZK_BAD_VERSION)) return false;
    throw error;
  }
}

/** Removes `path` whatever its version; `true` when this call removed it, `false` when it was gone. */
export async function removeNode(session: ZooKeeperSession, path: string): Promise<boolean> {
  try {
    await session.remove(path, -1);
    return true;
  } catch (error) {
    if (isZk(error, ZK_NO_NODE)) return false;
    throw error;
  }
}

/** Whether `error` says the node is gone or was written meanwhile: the attempt starts over. */
export function isLostRace(error: unknown): boolean {
  return isZk(error, ZK_NO_NODE) || isZk(error, ZK_BAD_VERSION);
}
