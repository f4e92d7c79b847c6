import { InvalidLockOptionsError } from '../../contract/errors.js';
import requirePeer from '../shared/require-peer.cjs';
import type { ZkModuleLike } from './zookeeper-client.js';

/**
 * Loads `node-zookeeper-client`, an optional peer dependency, when the backend opens its own
 * session.
 *
 * @throws InvalidLockOptionsError naming `connectionString` and saying what to install.
 */
export function loadZooKeeperClient(): ZkModuleLike {
  try {
    return requirePeer('node-zookeeper-client') as ZkModuleLike;
  } catch (error) {
    throw new InvalidLockOptionsError(
      'connectionString',
      `ZooKeeperLockBackend needs the "node-zookeeper-client" package to connect: npm install node-zookeeper-client (${String(error)})`,
    );
  }
}
