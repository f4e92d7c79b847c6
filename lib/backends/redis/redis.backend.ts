import type { LockBackendError } from '../../contract/errors.js';
import type { FairLocks } from '../../contract/fair-locks.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  Unsubscribe,
} from '../../contract/lease.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import type { LockDirectory } from '../../contract/lock-directory.js';
import type { MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { ReadWriteLocks } from '../../contract/read-write-locks.js';
import type { Semaphores } from '../../contract/semaphores.js';
import type { SharedResults } from '../../contract/shared-results.js';
import type { WaitGraph } from '../../contract/wait-graph.js';
import { Deadlines } from '../shared/deadlines.js';
import type { AcquireRequest } from '../shared/lease-requests.js';
import { TickBatcher } from '../shared/tick-batcher.js';
import { withTimeout } from '../shared/with-timeout.js';
import { hashSlot, slotMaster } from './cluster-slot.js';
import type { RedisClientLike } from './redis-client.js';
import { MAX_BATCH, RedisContext } from './redis-context.js';
import { RedisDirectory } from './redis-directory.js';
import { RedisFairLocks } from './redis-fair.js';
import { lockKeyOf, lockKeyOfReleaseChannel, releaseChannelOf } from './redis-keys.js';
import { RedisMultiKeyLocks } from './redis-multi-key.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  openClient,
  type RedisLockBackendOptions,
  resolveRedisOptions,
} from './redis-options.js';
import { acquirePlain, releasePlain } from './redis-plain-batch.js';
import { RedisReadWriteLocks } from './redis-read-write.js';
import { RedisReplicaWait } from './redis-replica-wait.js';
import { RedisResults } from './redis-results.js';
import { RedisSemaphores } from './redis-semaphore.js';
import { RedisWaitGraph } from './redis-wait-graph.js';
import { RedisWakeups } from './redis-wakeups.js';
import { EXTEND } from './scripts/extend.lua.js';
import { INSPECT } from './scripts/inspect.lua.js';
import type { ReleaseItem } from './scripts/release.lua.js';
import { WAKE_NEXT } from './scripts/wake-next.lua.js';

export type { RedisConnectionOptions, RedisLockBackendOptions } from './redis-options.js';

/**
 * Locks on one Redis server (or a Sentinel-managed primary) through ioredis.
 *
 * One lock is one string key, `{<prefix><key>}`, holding `<fencing token>:<owner>` with a `PX`
 * expiry set by Redis; beside it `{<prefix><key>}:fence` keeps the last fencing token. Acquire,
 * extend and release are Lua scripts (by SHA, NOSCRIPT-safe) that check the owner atomically;
 * concurrent calls made in the same tick share one script run. A waiter's missed attempt registers
 * its process in `{<prefix><key>}:sleepers`, and a release wakes the process registered longest,
 * on that process's own channel, rather than every waiting process at once (with nobody
 * registered, it publishes on `{<prefix><key>}:released` for all, as fair locks, semaphores and
 * read-write locks always do). Fair locks, semaphores,
 * read-write locks and the outcomes of shared runs (`{<prefix><key>}:result`) are the capabilities
 * `fair`, `semaphore`, `readWrite` and `results`; except on a Cluster, so are multi-key locks and
 * the waits-for graph of deadlock detection (`multiKey`, `waits`: one script reads keys of many
 * slots), whose records live in the fixed keys `nestjs-locker:waits*`.
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
  readonly readWrite: ReadWriteLocks;
  /** Multi-key locks need every key in one script: not on a Cluster, where keys live apart. */
  readonly multiKey?: MultiKeyLocks;
  /** Outcomes of shared runs, each beside its lock key (one slot): on a Cluster too. */
  readonly results: SharedResults;
  /** The waits-for graph is walked by one script across keys of any slot: not on a Cluster. */
  readonly waits?: WaitGraph;
  /**
   * Listing of the leases under a prefix (SCAN of the server, or of every master of a Cluster) and
   * instance records; offered when the client takes any command (`call`), as ioredis clients do.
   */
  readonly directory?: LockDirectory;
  /**
   * On a cluster: the master of the key's slot. Same-tick calls and renewals are then made per
   * master, so a stopped master holds back only the calls about its own keys.
   */
  readonly partitionOf?: (key: string) => string | number;
  readonly #context: RedisContext;
  readonly #ownsClient: boolean;
  readonly #acquires: TickBatcher<AcquireRequest, AcquireResult>;
  readonly #releases: TickBatcher<ReleaseItem, boolean>;
  #closed = false;

  constructor(options: RedisLockBackendOptions) {
    const resolved = resolveRedisOptions(options);
    if (resolved.client?.isCluster === true) {
      const slots = resolved.client;
      this.partitionOf = (key) => slotMaster(slots.slots, hashSlot(lockKeyOf(key)));
    }
    const partitionOf = this.partitionOf;
    const client: RedisClientLike = 'client' in options ? options.client : openClient(options);
    this.#ownsClient = !('client' in options);
    this.#context = new RedisContext({
      client,
      timeoutMs: resolved.timeoutMs,
      deadlines: new Deadlines(),
      fenceRetentionMs: resolved.fenceRetentionMs,
      wakeups: new RedisWakeups(
        () => client.duplicate(),
        (channel, inbox) => this.#passOn(channel, inbox),
      ),
      partitionOf,
      replicas:
        resolved.waitForReplicas &&
        new RedisReplicaWait(
          client,
          resolved.waitForReplicas,
          resolved.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        ),
      onWarning: resolved.onWarning,
    });
    this.#acquires = new TickBatcher<AcquireRequest, AcquireResult>(
      (items) => this.#context.perSlot(items, (group) => this.#acquireBatch(group), 'acquire'),
      MAX_BATCH,
      partitionOf && ((item) => partitionOf(item.key)),
    );
    this.#releases = new TickBatcher<ReleaseItem, boolean>(
      (items) => this.#context.perSlot(items, (group) => this.#releaseBatch(group), 'release'),
      MAX_BATCH,
      partitionOf && ((item) => partitionOf(item.key)),
    );
    this.fair = new RedisFairLocks(this.#context);
    this.semaphore = new RedisSemaphores(this.#context);
    this.readWrite = new RedisReadWriteLocks(this.#context);
    this.results = new RedisResults(this.#context);
    if (client.call) {
      const commands = { call: client.call.bind(client) };
      this.directory = new RedisDirectory(this.#context, commands);
    }
    if (!partitionOf) {
      this.multiKey = new RedisMultiKeyLocks(this.#context);
      this.waits = new RedisWaitGraph(this.#context);
    }
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    this.#context.checkServerOnce();
    try {
      return await this.#acquires.add({ key, owner, ttlMs });
    } catch (error) {
      throw this.#context.error('acquire', key, error);
    }
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    this.#context.checkServerOnce();
    try {
      // On a cluster each slot's leases settle on their own (a stopped master fails only its
      // own); one server fails or answers for all of them.
      return await this.#context.perSlot(
        [...leases],
        (group) => this.#extendChunks(group),
        'extend',
      );
    } catch (error) {
      throw this.#context.error('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
    }
  }

  async release(key: string, owner: string): Promise<boolean> {
    const unwatched = !this.#context.watches(key);
    try {
      return await this.#releases.add({ key, owner, unwatched });
    } catch (error) {
      throw this.#context.error('release', key, error);
    }
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    this.#context.checkServerOnce();
    try {
      const lease = await this.#context.run(INSPECT, { key });
      return lease && { key, ...lease };
    } catch (error) {
      throw this.#context.error('inspect', key, error);
    }
  }

  async subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    try {
      return await this.#context.wakeups.subscribe(
        releaseChannelOf(lockKeyOf(key)),
        onRelease,
        this.#context.timeoutMs,
      );
    } catch (error) {
      throw this.#context.error('subscribe', key, error);
    }
  }

  subscribed(key: string): boolean {
    return this.#context.wakeups.subscribed(releaseChannelOf(lockKeyOf(key)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.close();
    const timeoutMs = this.#context.boundMs;
    await this.#context.wakeups.close(timeoutMs);
    if (!this.#ownsClient) return;
    const client = this.#context.client;
    await withTimeout(client.quit(), timeoutMs).catch(() => client.disconnect());
  }

  /** Extends leases of one server (or slot) in runs of at most {@link MAX_BATCH}. */
  async #extendChunks(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    if (leases.length <= MAX_BATCH) return this.#context.run(EXTEND, leases);
    const results: ExtendResult[] = [];
    for (let i = 0; i < leases.length; i += MAX_BATCH) {
      results.push(...(await this.#context.run(EXTEND, leases.slice(i, i + MAX_BATCH))));
    }
    return results;
  }

  #acquireBatch(locks: AcquireRequest[]): Promise<(AcquireResult | LockBackendError)[]> {
    return this.#context.replicatedBatch(locks, acquirePlain(this.#context, locks), (given) =>
      this.#releaseBatch(given),
    );
  }

  #releaseBatch(items: ReleaseItem[]): Promise<boolean[]> {
    return releasePlain(this.#context, items);
  }

  /** Wakes the next sleeper of the lock of `channel`: its wake-up found no waiter here. */
  #passOn(channel: string, inbox: string): void {
    const lockKey = lockKeyOfReleaseChannel(channel);
    if (this.#closed || lockKey === undefined) return;
    // Best effort: if it fails, the other sleepers wake at their next re-check.
    this.#context.run(WAKE_NEXT, { lockKey, inbox }).catch(() => undefined);
  }
}
