/**
 * The part of the `etcd3` client (and of its low-level gRPC clients) the etcd backend uses, typed
 * structurally so that the package's types need no `etcd3` installed: an `Etcd3` instance fits.
 * Revisions, lease ids and TTLs travel as decimal strings (int64 in the protocol).
 */

/** gRPC call options: the backend sets a deadline on every call. */
export interface EtcdCallOptions {
  readonly deadline?: Date | number;
}

/** One stored key as etcd answers it. */
export interface EtcdKeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly create_revision: string;
  readonly mod_revision: string;
  readonly lease: string;
}

export interface EtcdHeader {
  readonly revision: string;
}

export interface EtcdRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  sort_order?: 'None' | 'Ascend' | 'Descend';
  sort_target?: 'Key' | 'Version' | 'Create' | 'Mod' | 'Value';
  count_only?: boolean;
}

export interface EtcdRangeResponse {
  readonly header: EtcdHeader;
  readonly kvs: readonly EtcdKeyValue[];
  readonly count: string;
}

export interface EtcdPutRequest {
  key: Buffer;
  value: Buffer;
  lease?: string;
}

export interface EtcdDeleteRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface EtcdDeleteResponse {
  readonly header: EtcdHeader;
  readonly deleted: string;
  readonly prev_kvs: readonly EtcdKeyValue[];
}

/** One comparison of a transaction's guard. */
export interface EtcdCompare {
  key: Buffer;
  range_end?: Buffer;
  target: 'Version' | 'Create' | 'Mod' | 'Value' | 'Lease';
  result: 'Equal' | 'Greater' | 'Less' | 'NotEqual';
  create_revision?: string | number;
  value?: Buffer;
  lease?: string;
}

export interface EtcdRequestOp {
  request_range?: EtcdRangeRequest;
  request_put?: EtcdPutRequest;
  request_delete_range?: EtcdDeleteRequest;
}

export interface EtcdResponseOp {
  readonly response_range?: EtcdRangeResponse;
  readonly response_put?: { readonly header: EtcdHeader };
  readonly response_delete_range?: EtcdDeleteResponse;
}

export interface EtcdTxnRequest {
  compare: EtcdCompare[];
  success: EtcdRequestOp[];
  failure: EtcdRequestOp[];
}

export interface EtcdTxnResponse {
  readonly header: EtcdHeader;
  readonly succeeded: boolean;
  readonly responses: readonly EtcdResponseOp[];
}

/** The KV service. */
export interface EtcdKvLike {
  range(request: EtcdRangeRequest, options?: EtcdCallOptions): Promise<EtcdRangeResponse>;
  deleteRange(request: EtcdDeleteRequest, options?: EtcdCallOptions): Promise<EtcdDeleteResponse>;
  txn(request: EtcdTxnRequest, options?: EtcdCallOptions): Promise<EtcdTxnResponse>;
}

/** A bidirectional gRPC stream (the keep-alive stream). */
export interface EtcdDuplexLike<Request, Response> {
  on(event: 'data', listener: (item: Response) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  write(item: Request): unknown;
  end(): unknown;
  cancel(): unknown;
}

export interface EtcdLeaseGrantResponse {
  readonly ID: string;
  readonly TTL: string;
  readonly error: string;
}

export interface EtcdKeepAliveResponse {
  readonly ID: string;
  readonly TTL: string;
}

export interface EtcdTimeToLiveResponse {
  readonly ID: string;
  /** Remaining seconds, truncated; -1 when the lease is gone. */
  readonly TTL: string;
  readonly grantedTTL: string;
}

/** The Lease service. */
export interface EtcdLeaseClientLike {
  leaseGrant(request: { TTL: number }, options?: EtcdCallOptions): Promise<EtcdLeaseGrantResponse>;
  leaseRevoke(
    request: { ID: string },
    options?: EtcdCallOptions,
  ): Promise<{ readonly header: EtcdHeader }>;
  leaseKeepAlive(
    options?: EtcdCallOptions,
  ): Promise<EtcdDuplexLike<{ ID: string }, EtcdKeepAliveResponse>>;
  leaseTimeToLive(
    request: { ID: string },
    options?: EtcdCallOptions,
  ): Promise<EtcdTimeToLiveResponse>;
}

/** A watch of one key, multiplexed by the client on its one watch stream. */
export interface EtcdWatcherLike {
  on(event: 'delete', listener: (kv: EtcdKeyValue) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  cancel(): Promise<void>;
}

export interface EtcdWatchBuilderLike {
  key(key: Buffer): EtcdWatchBuilderLike;
  prefix(prefix: Buffer): EtcdWatchBuilderLike;
  only(...operations: 'delete'[]): EtcdWatchBuilderLike;
  startRevision(revision: string): EtcdWatchBuilderLike;
  watcher(): EtcdWatcherLike;
}

/**
 * An `Etcd3` client, as far as the backend uses it: its KV and Lease services, its multiplexed
 * watches, and `close()`.
 */
export interface EtcdClientLike {
  readonly kv: EtcdKvLike;
  readonly leaseClient: EtcdLeaseClientLike;
  watch(): EtcdWatchBuilderLike;
  close(): void;
}
