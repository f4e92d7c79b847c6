/**
 * The part of `node-zookeeper-client` the backend uses, typed structurally so that the package
 * stays an optional peer: a `Client` from `createClient()` fits {@link ZkClientLike}.
 */

/** A znode's stat: zxids and times are 8-byte big-endian buffers. */
export interface ZkStatLike {
  readonly czxid: Buffer;
  readonly ctime: Buffer;
  readonly mtime: Buffer;
  readonly version: number;
}

/** A watch event: its type (`NODE_DELETED` = 2, `NODE_DATA_CHANGED` = 3) and path. */
export interface ZkEventLike {
  getType(): number;
  getPath(): string;
}

/** A ZooKeeper error of the client: `getCode()` is the server's or the client's error code. */
export interface ZkExceptionLike {
  getCode(): number;
  getName(): string;
}

type DataCallback = (
  error: Error | ZkExceptionLike | null,
  data: Buffer | undefined,
  stat: ZkStatLike,
) => void;

type Callback<T> = (error: Error | ZkExceptionLike | null, value: T) => void;

/** One operation result of a `multi` (transaction). */
export interface ZkTransactionLike {
  create(path: string, data: Buffer, mode: number): this;
  setData(path: string, data: Buffer | null, version: number): this;
  check(path: string, version: number): this;
  remove(path: string, version: number): this;
  commit(callback: (error: Error | ZkExceptionLike | null, results: unknown) => void): void;
}

/** A `node-zookeeper-client` `Client`, as far as the backend uses it. */
export interface ZkClientLike {
  connect(): void;
  close(): void;
  create(path: string, data: Buffer, mode: number, callback: Callback<string>): void;
  remove(
    path: string,
    version: number,
    callback: (error: Error | ZkExceptionLike | null) => void,
  ): void;
  getChildren(path: string, callback: Callback<string[]>): void;
  getData(path: string, callback: DataCallback): void;
  /** With a watcher: fires once when the node is deleted or written (none when it is missing). */
  getData(path: string, watcher: (event: ZkEventLike) => void, callback: DataCallback): void;
  setData(path: string, data: Buffer | null, version: number, callback: Callback<ZkStatLike>): void;
  mkdirp(path: string, callback: Callback<string>): void;
  transaction(): ZkTransactionLike;
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  on(event: 'expired' | 'connected' | 'disconnected', listener: () => void): unknown;
  removeListener(event: 'expired' | 'connected' | 'disconnected', listener: () => void): unknown;
}

/** The client's options the backend sets. */
export interface ZkClientOptions {
  readonly sessionTimeout: number;
  readonly spinDelay: number;
  readonly retries: number;
}

/** The `node-zookeeper-client` module, as far as the backend uses it. */
export interface ZkModuleLike {
  createClient(connectionString: string, options: ZkClientOptions): ZkClientLike;
}

/** Create modes (ZooKeeper's flags). */
export const CREATE_PERSISTENT = 0;
export const CREATE_EPHEMERAL = 1;
export const CREATE_EPHEMERAL_SEQUENTIAL = 3;

/** Watch event types. */
export const EVENT_NODE_DELETED = 2;
export const EVENT_NODE_DATA_CHANGED = 3;
