import { LockBackendError } from '../../contract/errors.js';
import type { ZkExceptionLike } from './zookeeper-client.js';

/** ZooKeeper error codes the backend acts on. */
export const ZK_CONNECTION_LOSS = -4;
export const ZK_NO_NODE = -101;
export const ZK_BAD_VERSION = -103;
export const ZK_NODE_EXISTS = -110;
export const ZK_NOT_EMPTY = -111;
export const ZK_SESSION_EXPIRED = -112;

/** The ZooKeeper error code of `error`, or `undefined` when it is not a ZooKeeper error. */
export function zkCode(error: unknown): number | undefined {
  if (error instanceof ZooKeeperCallError) return error.zkCode;
  if (
    error &&
    typeof error === 'object' &&
    typeof (error as ZkExceptionLike).getCode === 'function'
  ) {
    return (error as ZkExceptionLike).getCode();
  }
  return undefined;
}

/** Whether `error` is ZooKeeper's `code`. */
export function isZk(error: unknown, code: number): boolean {
  return zkCode(error) === code;
}

/**
 * A ZooKeeper client error as an `Error` whose message names the code (`NO_NODE[-101]`), kept as
 * the `cause` of the `LockBackendError`.
 */
export class ZooKeeperCallError extends Error {
  constructor(
    readonly call: string,
    readonly path: string,
    readonly zkCode: number | undefined,
    cause: unknown,
  ) {
    super(`${call} ${path}: ${describe(cause)}${explain(zkCode)}`, { cause });
    this.name = 'ZooKeeperCallError';
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}

function explain(code: number | undefined): string {
  if (code === ZK_CONNECTION_LOSS) {
    return ' (the connection to the ZooKeeper server was lost; the client reconnects within the session timeout, and the outcome of this call is unknown)';
  }
  if (code === ZK_SESSION_EXPIRED) {
    return ' (the ZooKeeper session expired and its locks with it; a backend given a connection string opens a new session, one given a client needs a new client)';
  }
  return '';
}

/** `error` as the `LockBackendError` of the zookeeper backend's `operation` on `key`. */
export function zooKeeperError(
  operation: string,
  key: string | undefined,
  error: unknown,
): LockBackendError {
  if (error instanceof LockBackendError) return error;
  return new LockBackendError('zookeeper', operation, key, error);
}

/**
 * The session of a call's client expired while the call waited in the client's queue (the client
 * fails only the calls already sent): the call is failed as ZooKeeper fails the others.
 */
export class SessionExpiredError extends Error {
  constructor() {
    super('the ZooKeeper session expired while the call waited to be sent');
    this.name = 'SessionExpiredError';
  }

  getCode(): number {
    return ZK_SESSION_EXPIRED;
  }
}
