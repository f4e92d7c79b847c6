import { InvalidLockOptionsError, LockBackendError } from '../../contract/errors.js';
import type { FairLocks } from '../../contract/fair-locks.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  Unsubscribe,
} from '../../contract/lease.js';
import { libraryWarnings } from '../../contract/library-warnings.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import type { MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { Deadlines } from '../shared/deadlines.js';
import type { AcquireRequest, ReleaseRequest } from '../shared/lease-requests.js';
import { TickBatcher } from '../shared/tick-batcher.js';
import { withTimeout } from '../shared/with-timeout.js';
import { bySlot, hashSlot, slotMaster } from './cluster-slot.js';
import { loadIoredis } from './load-ioredis.js';
import type { RedisClientLike } from './redis-client.js';
import { fenceKeyOf, lockKeyOf, permitsKeyOf, releaseChannelOf } from './redis-keys.js';
import { type LeaseShape, RedisLeaseShapes } from './redis-lease-shapes.js';
import { batchReply, type RedisScript } from './redis-script.js';
import { ACQUIRE, EXTEND, INSPECT, RELEASE } from './redis-scripts.js';
import { checkRedisServer } from './redis-server-check.js';
import { RedisWakeups } from './redis-wakeups.js';

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

/** Options of {@link RedisLockBackend}: a client you own, or connection details for one it owns. */
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

const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
const DEFAULT_FENCE_RETENTION_MS = 10 * 60_000;
/** Locks per script run: keeps every script short, so it never blocks Redis for long. */
const MAX_BATCH = 128;

/**
 * Locks on one Redis server (or a Sentinel-managed primary) through ioredis.
 *
 * One lock is one string key, `{<prefix><key>}`, holding `<fencing token>:<owner>` with a `PX`
 * expiry set by Redis; beside it `{<prefix><key>}:fence` keeps the last fencing token. Acquire,
 * extend and release are Lua scripts (by SHA, NOSCRIPT-safe) that check the owner atomically;
 * concurrent calls made in the same tick share one script run. Releases publish on
 * `{<prefix><key>}:released`, which wakes waiters in every process at once.
 *
 * @example
 * ```ts
 * new RedisLockBackend({ url: 'redis://127.0.0.1:6379' })   // opens and closes its own connection
 * new RedisLockBackend({ client: app.get(Redis) })           // shares yours; you close it
 * ```
 */
export class RedisLockBackend implements LockBackend {
  readonly name = 'redis';
  readonly fair: FairLocks;
  readonly semaphore: Semaphores;
  /** Multi-key locks need every key in one script: not on a Cluster, where keys live apart. */
  readonly multiKey?: MultiKeyLocks;
  readonly #client: RedisClientLike;
  readonly #ownsClient: boolean;
  /** The bound on each call, unless the client has a command timeout of its own. */
  readonly #timeoutMs: number | undefined;
  readonly #deadlines = new Deadlines();
  readonly #fenceRetentionMs: number;
  readonly #wakeups: RedisWakeups;
  /** A cluster client: a script may only touch keys of one hash slot, so batches split by slot. */
  readonly #cluster: boolean;
  readonly #waitForReplicas: { replicas: number; timeoutMs: number } | undefined;
  readonly #acquires: TickBatcher<AcquireRequest, AcquireResult>;
  readonly #releases: TickBatcher<ReleaseRequest, boolean>;
  /**
   * On a cluster: the master of the key's slot. Same-tick calls and renewals are then made per
   * master, so a stopped master holds back only the calls about its own keys.
   */
  readonly partitionOf?: (key: string) => string | number;
  readonly #shapes: RedisLeaseShapes;
  readonly #onWarning: ((message: string) => void) | false;
  #checked = false;
  #closed = false;

  constructor(options: RedisLockBackendOptions) {
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
    this.#fenceRetentionMs = options.fenceRetentionMs ?? DEFAULT_FENCE_RETENTION_MS;
    if (!Number.isInteger(this.#fenceRetentionMs) || this.#fenceRetentionMs < 0) {
      throw new InvalidLockOptionsError(
        'fenceRetentionMs',
        `must be a whole number of ms, 0 or more, got ${this.#fenceRetentionMs}`,
      );
    }
    const onWarning = options.onWarning ?? emitWarningOnce;
    if (onWarning !== false && typeof onWarning !== 'function') {
      throw new InvalidLockOptionsError('onWarning', 'must be a function or false');
    }
    this.#onWarning = onWarning;
    if ('client' in options && (!options.client || typeof options.client.evalsha !== 'function')) {
      throw new InvalidLockOptionsError('client', 'must be an ioredis client (new Redis(...))');
    }
    // Every option is checked before a connection is opened, so a bad one leaks nothing.
    this.#cluster = 'client' in options && options.client.isCluster === true;
    if (this.#cluster) {
      const client = (options as { client: RedisClientLike }).client;
      this.partitionOf = (key) => slotMaster(client.slots, hashSlot(lockKeyOf(key)));
    }
    const partitionOf = this.partitionOf;
    this.#acquires = new TickBatcher<AcquireRequest, AcquireResult>(
      (items) => this.#perSlot(items, (group) => this.#acquireBatch(group), 'acquire'),
      MAX_BATCH,
      partitionOf && ((item) => partitionOf(item.key)),
    );
    this.#releases = new TickBatcher<ReleaseRequest, boolean>(
      (items) => this.#perSlot(items, (group) => this.#releaseBatch(group), 'release'),
      MAX_BATCH,
      partitionOf && ((item) => partitionOf(item.key)),
    );
    this.#waitForReplicas = replicaWait(options.waitForReplicas, this.#cluster);
    if ('client' in options) {
      if (this.#waitForReplicas && typeof options.client.call !== 'function') {
        throw new InvalidLockOptionsError(
          'waitForReplicas',
          'needs an ioredis client (with call())',
        );
      }
      this.#client = options.client;
      this.#ownsClient = false;
      // A client with its own command timeout already fails hung calls; do not add a second timer.
      const own =
        options.client.options?.commandTimeout ??
        options.client.options?.redisOptions?.commandTimeout;
      this.#timeoutMs = own ? undefined : timeout;
    } else {
      this.#client = openClient(options);
      this.#ownsClient = true;
      // Connection options with a commandTimeout of their own keep it, as a client would.
      const own = (options.connection as { commandTimeout?: unknown } | undefined)?.commandTimeout;
      this.#timeoutMs = own ? undefined : timeout;
    }
    this.#wakeups = new RedisWakeups(() => this.#client.duplicate());
    this.#shapes = new RedisLeaseShapes(
      (script, keys, args) => this.#run(script, keys, args),
      (items, run, operation) => this.#perSlot(items, run, operation),
      (operation, key, error) => this.#error(operation, key, error),
      this.#fenceRetentionMs,
      () => this.#wakeups.inbox(this.#timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
    );
    this.fair = {
      acquire: (key, owner, ttlMs, { ticketTtlMs, join }) =>
        this.#acquireShaped(key, owner, ttlMs, { kind: 'fair', ticketTtlMs, join }),
      release: (key, owner) => this.#releaseShaped(key, owner, { kind: 'fair' }),
    };
    this.semaphore = {
      acquire: (key, owner, ttlMs, permits) =>
        this.#acquireShaped(key, owner, ttlMs, { kind: 'semaphore', permits }),
      extend: (leases) =>
        this.#extendShaped(leases.map((lease) => ({ ...lease, shape: { kind: 'semaphore' } }))),
      release: (key, owner) => this.#releaseShaped(key, owner, { kind: 'semaphore' }),
    };
    if (!this.#cluster) {
      this.multiKey = {
        acquire: (keys, owner, ttlMs) =>
          this.#acquireShaped(keys[0]!, owner, ttlMs, { kind: 'multi', keys }),
        extend: (leases) =>
          this.#extendShaped(
            leases.map(({ keys, owner, ttlMs }) => ({
              key: keys[0]!,
              owner,
              ttlMs,
              shape: { kind: 'multi', keys },
            })),
          ),
        release: (keys, owner) => this.#releaseShaped(keys[0]!, owner, { kind: 'multi', keys }),
      };
    }
  }

  async #acquireShaped(
    key: string,
    owner: string,
    ttlMs: number,
    shape: LeaseShape,
  ): Promise<AcquireResult> {
    this.#checkServerOnce();
    try {
      const result = await this.#shapes.acquire(key, owner, ttlMs, shape);
      return this.#waitForReplicas && result.acquired
        ? await this.#replicatedShaped(key, owner, shape, result, this.#waitForReplicas)
        : result;
    } catch (error) {
      throw this.#error('acquire', key, error);
    }
  }

  async #extendShaped(
    leases: readonly (LeaseToExtend & { readonly shape: LeaseShape })[],
  ): Promise<ExtendResult[]> {
    this.#checkServerOnce();
    try {
      return await this.#shapes.extend(leases);
    } catch (error) {
      throw this.#error('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
    }
  }

  async #releaseShaped(key: string, owner: string, shape: LeaseShape): Promise<boolean> {
    return this.#shapes.release(key, owner, shape).catch((error: unknown) => {
      throw this.#error('release', key, error);
    });
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    this.#checkServerOnce();
    return this.#acquires.add({ key, owner, ttlMs }).catch((error: unknown) => {
      throw this.#error('acquire', key, error);
    });
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    this.#checkServerOnce();
    try {
      // On a cluster each slot's leases settle on their own (a stopped master fails only its
      // own); one server fails or answers for all of them.
      return this.#cluster
        ? await this.#perSlot([...leases], (group) => this.#extendChunks(group), 'extend')
        : await this.#extendChunks(leases);
    } catch (error) {
      throw this.#error('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
    }
  }

  async release(key: string, owner: string): Promise<boolean> {
    return this.#releases.add({ key, owner }).catch((error: unknown) => {
      throw this.#error('release', key, error);
    });
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    this.#checkServerOnce();
    let reply: [number, string | null, number, number?];
    const lockKey = lockKeyOf(key);
    try {
      reply = (await this.#run(INSPECT, [lockKey, permitsKeyOf(lockKey)], [])) as typeof reply;
    } catch (error) {
      throw this.#error('inspect', key, error);
    }
    const [nowMs, value, pttl, holders] = reply;
    if (!value || pttl < 0) return null;
    const sep = value.indexOf(':');
    return {
      key,
      owner: value.slice(sep + 1),
      fencingToken: BigInt(value.slice(0, sep)),
      expiresAt: nowMs + pttl,
      ...(holders === undefined ? {} : { holders }),
    };
  }

  async subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    try {
      return await this.#wakeups.subscribe(
        releaseChannelOf(lockKeyOf(key)),
        onRelease,
        this.#timeoutMs,
      );
    } catch (error) {
      throw this.#error('subscribe', key, error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const timeoutMs = this.#timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    await this.#wakeups.close(timeoutMs);
    if (!this.#ownsClient) return;
    await withTimeout(this.#client.quit(), timeoutMs).catch(() => this.#client.disconnect());
  }

  /**
   * Runs `run` on all of `items`, or once per hash slot on a cluster, where the items of a slot
   * that failed get that slot's `LockBackendError` and the others their answers.
   */
  #perSlot<I extends { readonly key: string }, R>(
    items: I[],
    run: (group: I[]) => Promise<R[]>,
    operation: string,
  ): Promise<(R | LockBackendError)[]> {
    if (!this.#cluster) return run(items);
    // An extend's failed slots share one error per master, so that renewal reports a stopped
    // master once with all its keys, not once per slot. An acquire or release keeps its key in
    // its own error, since that is what its caller sees.
    let perMaster: Map<string | number, LockBackendError> | undefined;
    return bySlot<I, R | LockBackendError>(
      items,
      (item) => lockKeyOf(item.key),
      run,
      (error, group) => {
        const key = group.length === 1 ? group[0]!.key : undefined;
        if (operation !== 'extend') return this.#error(operation, key, error);
        const master = this.partitionOf!(group[0]!.key);
        let failure = perMaster?.get(master);
        if (!failure) {
          failure = this.#error(operation, items.length === 1 ? key : undefined, error);
          perMaster ??= new Map();
          perMaster.set(master, failure);
        }
        return failure;
      },
    );
  }

  /** Extends leases of one server (or slot) in runs of at most {@link MAX_BATCH}. */
  async #extendChunks(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    if (leases.length <= MAX_BATCH) return this.#extendBatch(leases);
    const results: ExtendResult[] = [];
    for (let i = 0; i < leases.length; i += MAX_BATCH) {
      results.push(...(await this.#extendBatch(leases.slice(i, i + MAX_BATCH))));
    }
    return results;
  }

  async #extendBatch(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const keys = leases.map((lease) => lockKeyOf(lease.key));
    const args = leases.flatMap((lease) => [lease.owner, lease.ttlMs]);
    const reply = (await this.#run(EXTEND, keys, args)) as number[];
    const nowMs = reply[0]!;
    return leases.map((lease, j) => (reply[j + 1] === 1 ? nowMs + lease.ttlMs : undefined));
  }

  async #acquireBatch(items: AcquireRequest[]): Promise<(AcquireResult | Error)[]> {
    const keys: string[] = [];
    const args: string[] = [];
    for (const item of items) {
      const lockKey = lockKeyOf(item.key);
      keys.push(lockKey, fenceKeyOf(lockKey));
      args.push(item.owner, String(item.ttlMs), String(item.ttlMs + this.#fenceRetentionMs));
    }
    const reply = await this.#run(ACQUIRE, keys, args);
    const results = parseAcquireReply(reply, items);
    return this.#waitForReplicas && results.some((result) => result.acquired)
      ? this.#replicated(items, results, this.#waitForReplicas)
      : results;
  }

  /**
   * Sends WAIT after a batch that took locks. With too few replica acknowledgements, releases the
   * locks this batch took and turns their results into errors.
   */
  async #replicated(
    items: readonly AcquireRequest[],
    results: AcquireResult[],
    wait: { replicas: number; timeoutMs: number },
  ): Promise<(AcquireResult | Error)[]> {
    const acknowledged = await this.#waitReplicas(wait);
    if (acknowledged >= wait.replicas) return results;
    const taken = items.filter((_, i) => results[i]!.acquired);
    await this.#releaseBatch([...taken]).catch(() => undefined);
    const error = tooFewReplicas(acknowledged, wait);
    return results.map((result) => (result.acquired ? error : result));
  }

  /** `waitForReplicas` for a fair lock, a permit or a multi-key lock: WAIT, or give it back. */
  async #replicatedShaped(
    key: string,
    owner: string,
    shape: LeaseShape,
    result: AcquireResult,
    wait: { replicas: number; timeoutMs: number },
  ): Promise<AcquireResult> {
    const acknowledged = await this.#waitReplicas(wait);
    if (acknowledged >= wait.replicas) return result;
    await this.#shapes.release(key, owner, shape).catch(() => false);
    throw tooFewReplicas(acknowledged, wait);
  }

  async #releaseBatch(items: ReleaseRequest[]): Promise<boolean[]> {
    const reply = await this.#run(
      RELEASE,
      items.map((item) => lockKeyOf(item.key)),
      items.map((item) => item.owner),
    );
    return batchReply<number>(reply).map((released) => released === 1);
  }

  /** Sends WAIT; the number of replicas that acknowledged. */
  async #waitReplicas(wait: { replicas: number; timeoutMs: number }): Promise<number> {
    const call = this.#client.call!.bind(this.#client);
    // WAIT blocks up to its own timeout: the command timeout starts after it.
    return Number(
      await withTimeout(
        call('WAIT', wait.replicas, wait.timeoutMs),
        wait.timeoutMs + (this.#timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
      ),
    );
  }

  /** Reads the server's settings once, in the background, and warns if they can lose locks. */
  #checkServerOnce(): void {
    if (this.#checked || this.#onWarning === false) return;
    this.#checked = true;
    const warn = this.#onWarning;
    const timeout = <T>(call: Promise<T>): Promise<T> =>
      withTimeout(call, this.#timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    void checkRedisServer(this.#client, timeout).then((warning) => {
      if (warning !== undefined && !this.#closed) warn(warning);
    });
  }

  #run(
    script: RedisScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const call = script.run(this.#client, keys, args);
    return this.#timeoutMs === undefined ? call : this.#deadlines.bound(call, this.#timeoutMs);
  }

  #error(operation: string, storeKey: string | undefined, error: unknown): LockBackendError {
    if (error instanceof LockBackendError) return error;
    return new LockBackendError(this.name, operation, storeKey, error);
  }
}

/** Checks `waitForReplicas`: whole numbers, and a client that can send WAIT where the locks are. */
function replicaWait(
  value: unknown,
  cluster: boolean,
): { replicas: number; timeoutMs: number } | undefined {
  if (value === undefined) return undefined;
  const { replicas, timeoutMs } = (value ?? {}) as { replicas?: unknown; timeoutMs?: unknown };
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new InvalidLockOptionsError(
      'waitForReplicas.replicas',
      `must be a whole number of replicas, 1 or more, got ${String(replicas)}`,
    );
  }
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new InvalidLockOptionsError(
      'waitForReplicas.timeoutMs',
      `must be a positive whole number of ms, got ${String(timeoutMs)}`,
    );
  }
  if (cluster) {
    throw new InvalidLockOptionsError(
      'waitForReplicas',
      'is not available with a Redis Cluster client (WAIT must reach the node that took the lock)',
    );
  }
  return { replicas, timeoutMs };
}

function tooFewReplicas(
  acknowledged: number,
  wait: { replicas: number; timeoutMs: number },
): Error {
  return new Error(
    `only ${acknowledged} of ${wait.replicas} replica(s) acknowledged the lock within ${wait.timeoutMs} ms (waitForReplicas); it was released again`,
  );
}

/**
 * The default `onWarning`: once per process for the same message, a process warning, or a log
 * line through Nest's `Logger` while a `LockModule` runs.
 */
function emitWarningOnce(message: string): void {
  libraryWarnings.emit(message, 'NESTJS_LOCKER_REDIS_CONFIG', { once: true });
}

/** Opens the backend's own ioredis connection; ioredis is loaded only when this is needed. */
function openClient(options: {
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

/**
 * The results of an `ACQUIRE_LUA` run: `{ nowMs, then per lock: token | "<pttl>" }`, or, for a
 * lone lock, the token alone (granted under the server clock's token, so now is its ms part) or
 * the PTTL text alone (refused).
 */
function parseAcquireReply(
  reply: unknown,
  items: readonly { readonly ttlMs: number }[],
): AcquireResult[] {
  const values: unknown[] = Array.isArray(reply) ? reply.slice(1) : [reply];
  const nowMs = Array.isArray(reply) ? (reply[0] as number) : Math.floor((reply as number) / 1000);
  return items.map((item, i): AcquireResult => {
    const value = values[i];
    if (typeof value === 'number') {
      return { acquired: true, fencingToken: BigInt(value), expiresAt: nowMs + item.ttlMs };
    }
    const pttl = Number(value);
    return { acquired: false, retryAfterMs: pttl >= 0 ? pttl : undefined };
  });
}
