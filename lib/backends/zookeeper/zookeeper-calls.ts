import { InvalidLockOptionsError } from '../../contract/errors.js';
import { isZk, ZK_CONNECTION_LOSS, zooKeeperError } from './zookeeper-errors.js';

/**
 * How every operation of the backend runs: once more when the connection was lost under it (the
 * client reconnects to a server within the session; every operation is safe to repeat: an
 * acquire finds its owner's node again by name, an extend re-reads the node's version), and
 * failures as `LockBackendError`s of the zookeeper backend naming the ZooKeeper error (bad input,
 * `InvalidLockOptionsError`, as it is).
 */
export class ZooKeeperCalls {
  async run<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      try {
        return await call();
      } catch (error) {
        if (!isZk(error, ZK_CONNECTION_LOSS)) throw error;
        return await call();
      }
    } catch (error) {
      // Bad input (a ttl longer than the session allows) is the caller's, not the store's.
      if (error instanceof InvalidLockOptionsError) throw error;
      throw zooKeeperError(operation, key, error);
    }
  }
}
