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
import type { PgPoolLike } from './pg-client.js';
import { leaseSql } from './postgres.sql.js';
import { PostgresContext, refuseReservedOwner } from './postgres-context.js';
import { PostgresDirectory } from './postgres-directory.js';
import { extendWithStatement } from './postgres-extend.js';
import { PostgresFairLocks } from './postgres-fair.js';
import { PostgresMultiKeyLocks } from './postgres-multi-key.js';
import { KEY_IS_SEMAPHORE, PostgresMutexBatches } from './postgres-mutex-batches.js';
import { leaseTableNames } from './postgres-names.js';
import { type PostgresLockBackendOptions, postgresSettings } from './postgres-options.js';
import { PostgresReadWriteLocks } from './postgres-read-write.js';
import { PostgresResults } from './postgres-results.js';
import { schemaSql } from './postgres-schema.sql.js';
import { PostgresSemaphores } from './postgres-semaphore.js';
import { READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import { PostgresWaitGraph } from './postgres-wait-graph.js';
import { PostgresWakeups } from './postgres-wakeups.js';

export type { PostgresLockBackendOptions } from './postgres-options.js';

/**
 * Locks in a PostgreSQL table through `pg`: one row per key holding the owner, the fencing token
 * and the expiry, decided by the database clock (`clock_timestamp()`). Works through any pool and
 * behind transaction-pooling proxies: every operation is one statement and keeps no session state.
 *
 * - acquire: one upsert that takes the row only when free, expired or already this owner's, and
 *   returns the new fencing token (from the table's sequence, so tokens keep rising across
 *   releases, swept rows and restarts); committed durably.
 * - extend: one owner-checked statement for a whole batch of held leases.
 * - release: owner-checked, then `NOTIFY`, which wakes waiters in every process.
 *
 * Calls made in the same tick share one statement (`postgres-mutex-batches.ts`).
 *
 * Fair leases, semaphores, multi-key leases and read-write locks (`backend.fair`,
 * `backend.semaphore`, `backend.multiKey`, `backend.readWrite`) are PL/pgSQL functions beside the
 * table (one call, one round trip each; see `postgres-fair.ts`, `postgres-semaphore.ts`,
 * `postgres-multi-key.ts`, `postgres-read-write.ts`). A key is used either as a mutex (plain,
 * fair, multi-key or read-write) or as a semaphore: using it the other way while it is held
 * rejects with a `LockBackendError` that says so. The owners `"nestjs-locker:semaphore"` and
 * `"nestjs-locker:readers"` are reserved.
 *
 * Deadlock detection (`backend.waits`) keeps the waits of chains that hold locks in
 * `<table>_waits`: a publish upserts one and finds the cycles through it in one statement over one
 * snapshot (`postgres-wait-graph.ts`). Shared runs (`backend.results`) keep their outcomes in
 * `<table>_results`, stored only under the key's live lease (`postgres-results.ts`). The directory
 * (`backend.directory`) lists live leases under a prefix in one statement and keeps instance
 * records in `<table>_instances` (`postgres-directory.ts`).
 *
 * @example
 * ```ts
 * new PostgresLockBackend({ connectionString: process.env.DATABASE_URL })  // owns its pool
 * new PostgresLockBackend({ pool })              // shares your pg.Pool; you end it
 * new PostgresLockBackend({ pool, listen: false, preparedStatements: false })  // behind PgBouncer
 * ```
 */
export class PostgresLockBackend implements LockBackend {
  readonly name = 'postgres';
  readonly fair: FairLocks;
  readonly semaphore: Semaphores;
  readonly multiKey: MultiKeyLocks;
  readonly readWrite: ReadWriteLocks;
  /** The waits-for graph of chains that hold locks, for deadlock detection. */
  readonly waits: WaitGraph;
  /** The outcomes of shared runs (`LockService.share`). */
  readonly results: SharedResults;
  /** Listing of live leases under a prefix, and instance records (`<table>_instances`). */
  readonly directory: LockDirectory;
  /**
   * Calls `onRelease` on every release of `key`, in any process, with the {@link Handoff} when a
   * fair release handed the lease to a waiter; present unless `listen: false`.
   */
  readonly subscribe?: (
    key: string,
    onRelease: (handoff?: Handoff) => void,
  ) => Promise<Unsubscribe>;
  /**
   * Whether a waiter of this process listens on `key` now (a busy key): a waiting acquire then
   * subscribes before its first attempt. Present with `subscribe`.
   */
  readonly subscribed?: (key: string) => boolean;
  readonly #context: PostgresContext;
  readonly #batches: PostgresMutexBatches;
  readonly #semaphores: PostgresSemaphores;
  readonly #readWrite: PostgresReadWriteLocks;
  readonly #pool: PgPoolLike;
  readonly #ownsPool: boolean;
  readonly #wakeups: PostgresWakeups | undefined;
  #closed = false;

  constructor(options: PostgresLockBackendOptions) {
    const settings = postgresSettings(options);
    const sql = leaseSql(settings.names);
    this.#context = new PostgresContext(settings.names, sql, settings);
    this.#batches = new PostgresMutexBatches(this.#context);
    this.#pool = settings.pool;
    this.#ownsPool = settings.ownsPool;
    this.fair = new PostgresFairLocks(this.#context);
    this.#semaphores = new PostgresSemaphores(this.#context);
    this.semaphore = this.#semaphores;
    this.multiKey = new PostgresMultiKeyLocks(this.#context);
    this.#readWrite = new PostgresReadWriteLocks(this.#context);
    this.readWrite = this.#readWrite;
    this.waits = new PostgresWaitGraph(this.#context);
    this.results = new PostgresResults(this.#context);
    this.directory = new PostgresDirectory(this.#context);
    if (settings.openListenClient) {
      const wakeups = new PostgresWakeups(
        settings.openListenClient,
        sql.listen,
        settings.names.channel,
        settings.commandTimeoutMs,
      );
      this.#wakeups = wakeups;
      this.subscribe = (key, onRelease) => wakeups.subscribe(key, onRelease);
      this.subscribed = (key) => wakeups.busy(key);
    }
  }

  /**
   * The DDL of a lease table, for databases where the application may not create tables. With no
   * options it is the content of `sql/nestjs-locker.sql` shipped with the package (`npm run sql`
   * writes that file from here).
   */
  static createTableSql(options: { schema?: string; table?: string } = {}): string {
    return schemaSql(leaseTableNames(options.schema, options.table)).createTable;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    refuseReservedOwner(owner);
    const context = this.#context;
    let result: AcquireResult | typeof KEY_IS_SEMAPHORE;
    try {
      if (!context.isReady) await context.whenReady();
      result = await this.#batches.acquire({ key, owner, ttlMs });
      if (result !== KEY_IS_SEMAPHORE && !result.acquired && !result.retryAfterMs) {
        result = await this.#missWithRemaining(key, result);
      }
    } catch (error) {
      throw context.error('acquire', key, error);
    }
    if (result === KEY_IS_SEMAPHORE) {
      throw context.error(
        'acquire',
        key,
        'the key is held as a semaphore; a key is used either as a mutex or as a semaphore, never both',
      );
    }
    return result;
  }

  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendWithStatement(this.#context, this.#context.sql.extend, leases);
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.#context.call('release', key, owner, () => this.#batches.release({ key, owner }));
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    const context = this.#context;
    try {
      if (!context.isReady) await context.whenReady();
      const [row] = await context.run(context.sql.inspect, [key]);
      if (!row) return null;
      if (row.owner === SEMAPHORE_OWNER) return await this.#semaphores.inspect(key);
      if (row.owner === READERS_OWNER) return await this.#readWrite.inspect(key);
      return { key, owner: row.owner, fencingToken: BigInt(row.token), expiresAt: row.ms };
    } catch (error) {
      throw context.error('inspect', key, error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.close();
    await this.#wakeups?.close();
    if (this.#ownsPool) await this.#pool.end().catch(() => undefined);
  }

  /**
   * A miss that said nothing of the holder (or 0 ms): its statement's snapshot was taken before
   * a contender's lease, committed while the statement waited on the row, so it saw the row free
   * or expired. A second statement sees that lease: its remaining ttl, or still nothing when the
   * key is free by now. Only a hint: if it fails, the miss stands as it was.
   */
  async #missWithRemaining(key: string, miss: AcquireResult): Promise<AcquireResult> {
    try {
      const [row] = await this.#context.run(this.#context.sql.remaining, [key]);
      return row?.ms ? { acquired: false, retryAfterMs: row.ms } : miss;
    } catch {
      return miss;
    }
  }
}
