import type { ZkClientLike, ZkStatLike } from './zookeeper-client.js';

/** One operation of a `multi` (a ZooKeeper transaction). */
export type MultiOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer; readonly mode: number }
  | {
      readonly op: 'setData';
      readonly path: string;
      readonly data: Buffer;
      readonly version: number;
    }
  | { readonly op: 'remove'; readonly path: string; readonly version: number };

/** What one operation of a committed `multi` answered: a create's path, a setData's stat. */
export interface MultiResult {
  readonly path?: string;
  readonly stat?: ZkStatLike;
}

/**
 * Sends `ops` as one transaction on `client`: all or none, one zxid. `done` gets the error of the
 * first operation that failed, or every operation's result in order.
 */
export function sendMulti(
  client: ZkClientLike,
  ops: readonly MultiOp[],
  done: (error: unknown, results: MultiResult[]) => void,
): void {
  const transaction = client.transaction();
  for (const each of ops) {
    if (each.op === 'create') transaction.create(each.path, each.data, each.mode);
    else if (each.op === 'setData') transaction.setData(each.path, each.data, each.version);
    else transaction.remove(each.path, each.version);
  }
  transaction.commit((error, results) => done(error, results as MultiResult[]));
}
