import { InvalidLockOptionsError } from '../../contract/errors.js';
import requirePeer from '../shared/require-peer.cjs';
import type { EtcdClientLike } from './etcd-client.js';

/** What the backend takes from the `etcd3` package when it opens its own client. */
export interface Etcd3Module {
  readonly Etcd3: new (options: Record<string, unknown>) => EtcdClientLike;
  /** Whether an error is a transport or server failure (another member may answer). */
  readonly isRecoverableError: (error: Error) => boolean;
}

/**
 * Loads `etcd3`, an optional peer dependency, when the backend has to open its own client.
 *
 * @throws InvalidLockOptionsError naming `endpoints` and saying what to install when it is missing.
 */
export function loadEtcd3(): Etcd3Module {
  try {
    return requirePeer('etcd3') as Etcd3Module;
  } catch (error) {
    throw new InvalidLockOptionsError(
      'endpoints',
      `EtcdLockBackend needs the "etcd3" package to open connections: npm install etcd3 (${String(error)})`,
    );
  }
}
