/**
 * The part of an ioredis client this backend uses. Typed structurally, so any ioredis 5 or 6
 * `Redis` instance fits and ioredis stays an optional peer dependency.
 */
export interface RedisClientLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
  quit(): Promise<unknown>;
  disconnect(): void;
  /**
   * Any command; used to read the server's eviction and persistence settings once, and for WAIT
   * with `waitForReplicas`.
   */
  call?(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A `Cluster`'s connection to each of its masters: a listing scans every one of them. */
  nodes?(role: 'master'): readonly RedisCommandClient[];
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster?: boolean;
  /**
   * A `Cluster`'s map of hash slots to the nodes serving them (`"host:port"`, master first), as
   * ioredis last read it.
   */
  readonly slots?: readonly (readonly string[] | undefined)[];
  readonly options?: {
    readonly commandTimeout?: number | undefined;
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    /** A `Cluster`'s options for its node connections. */
    readonly redisOptions?: { readonly commandTimeout?: number | undefined } | undefined;
  };
}

/** A connection that takes any command: what a listing sends SCAN and TIME through. */
export interface RedisCommandClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** The part of a duplicated ioredis connection used for wake-up subscriptions. */
export interface RedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}
