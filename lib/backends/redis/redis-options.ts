import { InvalidLockOptionsError } from '../../contract/errors.js';
import { emitWarningOnce } from '../shared/emit-warning-once.js';
import { loadIoredis } from './load-ioredis.js';
import type { RedisClientLike } from './redis-client.js';
import { type ReplicaWaitOptions, resolveReplicaWait } from './redis-replica-wait.js';

/** ioredis connection options, passed through as they are (`host`, `port`, `password`, `tls` ...). */
export type RedisConnectionOptions = { readonly [option: string]: unknown };

interface CommonOptions {
  /**
   * Fail a Redis call that has not answered after this many ms with a `LockBackendError`, rather
   * than wait for the connection to come back. Default 3 000; a client passed in with its own
   * `commandTimeout` keeps that one.
   */
  commandTimeoutMs?: number;
  /**
   * How long a key's last fencing token is kept after its lease ends, in ms (default 10 minutes).
   * Tokens also never fall below the server clock in µs, so this only guards against the server's
   * clock stepping backwards. Longer costs one small key per recently used lock key.
   */
  fenceRetentionMs?: number;
  /**
   * Receives the one warning the backend may give, on first use, when the server's configuration
   * can lose locks: a `maxmemory-policy` other than `noeviction` (held lock keys can be evicted) or
   * no AOF persistence (a restart loses held locks). Read with `CONFIG GET` and `INFO`; servers that
   * refuse `CONFIG` (managed Redis) are read through `INFO` alone. Default: `process.emitWarning`
   * with code `NESTJS_LOCKER_REDIS_CONFIG`, once per process and server; `false` skips the check.
   */
  onWarning?: ((message: string) => void) | false;
  /**
   * After each acquire, wait until this many replicas have the write (`WAIT replicas timeoutMs`).
   * With fewer acknowledgements the lock is released again and the acquire fails with a
   * `LockBackendError`: a lock that only the primary knows of is lost if a failover happens before
   * replication. This narrows that window; it does not close it (replication stays asynchronous,
   * see the README). Not available with a Redis Cluster client.
   */
  waitForReplicas?: { replicas: number; timeoutMs: number };
}

/** Options of `RedisLockBackend`: a client you own, or connection details for one it owns. */
export type RedisLockBackendOptions = CommonOptions &
  (
    | {
        /**
         * An ioredis client: a `Redis` (also one configured with `sentinels`) or a `Cluster`. It
         * stays yours: `close()` does not quit it.
         */
        client: RedisClientLike;
      }
    | {
        /** A Redis URL (`redis://[:password@]host:port/db`, `rediss://` for TLS). */
        url: string;
        /** More ioredis options for the connection the backend opens. */
        connection?: RedisConnectionOptions;
      }
    | {
        /** ioredis options for the connection the backend opens. */
        connection: RedisConnectionOptions;
      }
  );

/** The bound on a call when none is given, and on calls made without a command timeout. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
const DEFAULT_FENCE_RETENTION_MS = 10 * 60_000;

/** Everything `RedisLockBackend` needs, checked. */
export interface ResolvedRedisOptions {
  /** The client passed in; `undefined` when the backend opens its own ({@link openClient}). */
  readonly client: RedisClientLike | undefined;
  /** The bound on each call, `undefined` when the client has a command timeout of its own. */
  readonly timeoutMs: number | undefined;
  readonly fenceRetentionMs: number;
  readonly onWarning: ((message: string) => void) | false;
  readonly waitForReplicas: ReplicaWaitOptions | undefined;
}

/** Checks every option before a connection is opened, so that a bad one leaks nothing. */
export function resolveRedisOptions(options: RedisLockBackendOptions): ResolvedRedisOptions {
  if (!options || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      'options',
      'RedisLockBackend needs { client }, { url } or { connection }',
    );
  }
  const timeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new InvalidLockOptionsError(
      'commandTimeoutMs',
      `must be a positive whole number of ms, got ${timeout}`,
    );
  }
  const fenceRetentionMs = options.fenceRetentionMs ?? DEFAULT_FENCE_RETENTION_MS;
  if (!Number.isInteger(fenceRetentionMs) || fenceRetentionMs < 0) {
    throw new InvalidLockOptionsError(
      'fenceRetentionMs',
      `must be a whole number of ms, 0 or more, got ${fenceRetentionMs}`,
    );
  }
  const onWarning = options.onWarning ?? emitWarningOnce;
  if (onWarning !== false && typeof onWarning !== 'function') {
    throw new InvalidLockOptionsError('onWarning', 'must be a function or false');
  }
  const client = 'client' in options ? options.client : undefined;
  if ('client' in options && (!client || typeof client.evalsha !== 'function')) {
    throw new InvalidLockOptionsError('client', 'must be an ioredis client (new Redis(...))');
  }
  const waitForReplicas = resolveReplicaWait(options.waitForReplicas, client);
  // A client (or connection options) with a command timeout of its own already fails hung calls:
  // no second timer.
  const own = client
    ? (client.options?.commandTimeout ?? client.options?.redisOptions?.commandTimeout)
    : ('connection' in options
        ? (options.connection as { commandTimeout?: unknown } | undefined)
        : undefined
      )?.commandTimeout;
  return {
    client,
    timeoutMs: own ? undefined : timeout,
    fenceRetentionMs,
    onWarning,
    waitForReplicas,
  };
}

/** Opens the backend's own ioredis connection; ioredis is loaded only when this is needed. */
export function openClient(options: {
  url?: string;
  connection?: RedisConnectionOptions;
}): RedisClientLike {
  const Redis = loadIoredis('url' in options ? 'url' : 'connection', 'RedisLockBackend');
  // No ioredis auto-pipelining: the backend already coalesces same-tick calls into one script run,
  // and a second layer of batching costs ~20 µs of client CPU per lock (measured in bench/).
  // No ioredis commandTimeout either (a timer per command): the backend bounds its calls with one
  // sweeping interval.
  const settings = { ...options.connection };
  const client = options.url === undefined ? new Redis(settings) : new Redis(options.url, settings);
  // The connection retries by itself; errors reach callers as LockBackendErrors, so the client's
  // own 'error' events need no listener beyond this one (which stops ioredis printing them).
  (client as unknown as { on(event: 'error', listener: () => void): void }).on(
    'error',
    () => undefined,
  );
  return client;
}
