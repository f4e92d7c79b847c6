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
import type { LockBackend } from '../../contract/lock-backend.js';
import type { MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { Deadlines } from '../shared/deadlines.js';
import type { AcquireRequest, ReleaseRequest } from '../shared/lease-requests.js';
import { TickBatcher } from '../shared/tick-batcher.js';
import type {
  PgConnectionConfig,
  PgListenClientLike,
  PgPoolLike,
  PgQueryConfig,
} from './pg-client.js';
import { type LeaseSql, leaseSql } from './postgres.sql.js';
import { PostgresFairLeases } from './postgres-fair.js';
import { mayBeOneItem } from './postgres-item-error.js';
import { leaseResult } from './postgres-lease-result.js';
import { PostgresMultiLeases } from './postgres-multi.js';
import { type LeaseTableNames, leaseTableNames } from './postgres-names.js';
import { flag, listenClientConfig, loadPg, poolConfig, wholeMs } from './postgres-options.js';
import { PostgresSemaphores } from './postgres-semaphore.js';
import { SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import { PostgresWakeups } from './postgres-wakeups.js';

interface CommonOptions {
  /** The schema of the lease table: a lower-case SQL identifier. Default `public`. */
  schema?: string;
  /** The lease table: a lower-case SQL identifier of at most 57 characters. Default `nestjs_locker`. */
  table?: string;
  /**
   * Create the schema, table and fence sequence on first use if they are missing (`IF NOT EXISTS`,
   * serialised across processes). Default `true`. Set `false` where the app has no DDL rights and
   * create them beforehand with `sql/nestjs-locker.sql` or {@link PostgresLockBackend.createTableSql}.
   */
  createTable?: boolean;
  /**
   * Wake waiters through `LISTEN/NOTIFY` on one dedicated connection. `true` (default) opens it with
   * the backend's own connection settings (or the given pool's); a URL or `pg` settings open it
   * elsewhere, such as directly to the server when the pool goes through a transaction-pooling
   * proxy, which cannot carry LISTEN. `false`: waiters poll with jittered backoff.
   */
  listen?: boolean | string | PgConnectionConfig;
  /**
   * Run statements as named prepared statements (parsed once per connection). Default `true`. Set
   * `false` behind a transaction-pooling proxy that does not track prepared statements (PgBouncer
   * before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
  /**
   * Fail a database call that has not answered after this many ms with a `LockBackendError`
   * (its outcome is then unknown). Default 3 000.
   */
  commandTimeoutMs?: number;
  /**
   * Every this many ms, delete up to 1 000 rows that have been free (released or expired) for at
   * least as long. Default 60 000; `0` never sweeps. Fencing tokens do not depend on kept rows.
   */
  sweepIntervalMs?: number;
}

/** Options of {@link PostgresLockBackend}: a pool you own, or settings for one it owns. */
export type PostgresLockBackendOptions = CommonOptions &
  (
    | {
        /** A `pg.Pool`. It stays yours: `close()` does not end it. */
        pool: PgPoolLike;
      }
    | {
        /** `postgres://user:password@host:port/database`. */
        connectionString: string;
        /** More `pg.Pool` settings for the pool the backend opens (`max`, `ssl` ...). */
        connection?: PgConnectionConfig;
      }
    | {
        /** `pg.Pool` settings for the pool the backend opens. */
        connection: PgConnectionConfig;
      }
  );

const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Leases per statement: keeps every statement short. */
const MAX_BATCH = 128;

type Operation = Exclude<keyof LeaseSql, 'createTable' | 'listen'>;

interface AcquireRow {
  readonly token: string | null;
  readonly ms: number | null;
  readonly semaphore: boolean | null;
}

/** An acquire of a plain mutex that found the key held as a semaphore. */
const HELD_AS_SEMAPHORE = Symbol('held as a semaphore');

/** Postgres error codes of a missing function and a missing table. */
const UNDEFINED_OBJECT_CODES = new Set(['42883', '42P01']);

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
 * Calls made in the same tick share one statement.
 *
 * Fair leases, semaphores and multi-key leases (`backend.fair`, `backend.semaphore`, `backend.multiKey`) are PL/pgSQL functions beside
 * the table (one call, one round trip each; see `postgres-fair.ts`, `postgres-semaphore.ts`,
 * `postgres-multi.ts`). A key is used either as a mutex (plain, fair or multi-key) or as a
 * semaphore: using it the other way while it is held rejects with a `LockBackendError` that says so.
 * The owner `"nestjs-locker:semaphore"` is reserved.
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
  /**
   * Calls `onRelease` on every release of `key`, in any process, with the {@link Handoff} when a
   * fair release handed the lease to a waiter; present unless `listen: false`.
   */
  readonly subscribe?: (
    key: string,
    onRelease: (handoff?: Handoff) => void,
  ) => Promise<Unsubscribe>;
  readonly #pool: PgPoolLike;
  readonly #ownsPool: boolean;
  readonly #names: LeaseTableNames;
  readonly #sql: LeaseSql;
  readonly #createTable: boolean;
  readonly #prepared: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #deadlines = new Deadlines();
  readonly #sweepIntervalMs: number;
  readonly #wakeups: PostgresWakeups | undefined;
  readonly #fair: PostgresFairLeases;
  readonly #semaphores: PostgresSemaphores;
  readonly #multi: PostgresMultiLeases;
  readonly #acquires = new TickBatcher<AcquireRequest, AcquireResult | typeof HELD_AS_SEMAPHORE>(
    (items) => this.#acquireBatch(items),
    MAX_BATCH,
  );
  readonly #releases = new TickBatcher<ReleaseRequest, boolean>(
    (items) => this.#releaseBatch(items),
    MAX_BATCH,
  );
  #ready: Promise<void> | undefined;
  #isReady = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #closed = false;

  constructor(options: PostgresLockBackendOptions) {
    if (!options || typeof options !== 'object') {
      throw new InvalidLockOptionsError(
        'options',
        'PostgresLockBackend needs { pool }, { connectionString } or { connection }',
      );
    }
    this.#names = leaseTableNames(options.schema, options.table);
    this.#sql = leaseSql(this.#names);
    const run = <Row>(name: string, text: string, values: readonly unknown[]) =>
      this.#run<Row>(name, text, values);
    this.#fair = new PostgresFairLeases(this.#names, run);
    this.#semaphores = new PostgresSemaphores(this.#names, run);
    this.#multi = new PostgresMultiLeases(this.#names, run, this.#sql.releaseMany);
    const channel = this.#names.channel;
    this.fair = {
      acquire: (key, owner, ttlMs, fair) =>
        this.#call('acquire', key, owner, () =>
          this.#fair.acquire(key, owner, ttlMs, fair, channel),
        ),
      release: (key, owner) =>
        this.#call('release', key, owner, () => this.#fair.release(key, owner, channel)),
    };
    this.semaphore = {
      acquire: (key, owner, ttlMs, permits) =>
        this.#call('acquire', key, owner, () =>
          this.#semaphores.acquire(key, owner, ttlMs, permits),
        ),
      extend: (leases) => this.#extendKind(leases, (chunk) => this.#semaphores.extend(chunk)),
      release: (key, owner) =>
        this.#call('release', key, owner, () => this.#semaphores.release(key, owner, channel)),
    };
    this.multiKey = {
      acquire: (keys, owner, ttlMs) =>
        this.#call('acquire', keys[0]!, owner, () => this.#multi.acquire(owner, ttlMs, keys)),
      extend: (leases) =>
        this.#extendKind(
          leases.map(({ keys, owner, ttlMs }) => ({ key: keys[0]!, keys, owner, ttlMs })),
          (chunk) =>
            Promise.all(
              chunk.map((lease) =>
                this.#multi
                  .extend(lease.owner, lease.ttlMs, lease.keys)
                  .catch((error: unknown) => this.#error('extend', lease.key, error)),
              ),
            ),
        ),
      release: (keys, owner) =>
        this.#call('release', keys[0]!, owner, () => this.#multi.release(owner, keys, channel)),
    };
    this.#createTable = flag('createTable', options.createTable, true);
    this.#prepared = flag('preparedStatements', options.preparedStatements, true);
    const timeoutMs = wholeMs(
      'commandTimeoutMs',
      options.commandTimeoutMs,
      DEFAULT_COMMAND_TIMEOUT_MS,
      1,
    );
    this.#sweepIntervalMs = wholeMs(
      'sweepIntervalMs',
      options.sweepIntervalMs,
      DEFAULT_SWEEP_INTERVAL_MS,
      0,
    );
    const listen = options.listen ?? true;
    if (
      typeof listen !== 'boolean' &&
      typeof listen !== 'string' &&
      (typeof listen !== 'object' || listen === null)
    ) {
      throw new InvalidLockOptionsError(
        'listen',
        'must be true, false, a connection URL or pg connection settings',
      );
    }

    let listenConfig: PgConnectionConfig | undefined;
    if ('pool' in options) {
      const pool = options.pool;
      if (!pool || typeof pool.query !== 'function' || typeof pool.end !== 'function') {
        throw new InvalidLockOptionsError('pool', 'must be a pg Pool (new pg.Pool(...))');
      }
      this.#pool = pool;
      this.#ownsPool = false;
      this.#timeoutMs = timeoutMs;
      listenConfig = (pool as { options?: PgConnectionConfig }).options;
    } else {
      const config = poolConfig(options, timeoutMs);
      const pool = new (loadPg().Pool)(config);
      // An idle pooled connection that dies (server restart) is replaced on next use; its 'error'
      // event needs a listener or it would crash the process.
      pool.on('error', () => undefined);
      this.#pool = pool;
      this.#ownsPool = true;
      // pg's own query_timeout and connectionTimeoutMillis bound every call of our own pool.
      this.#timeoutMs = undefined;
      listenConfig = config;
    }

    if (listen !== false) {
      const config = listenClientConfig(listen, listenConfig, timeoutMs);
      const Client = loadPg().Client;
      this.#wakeups = new PostgresWakeups(
        (): PgListenClientLike => new Client(config),
        this.#sql.listen,
        this.#names.channel,
        timeoutMs,
      );
      this.subscribe = (key, onRelease) => this.#subscribe(key, onRelease);
    }
  }

  /**
   * The DDL of a lease table, for databases where the application may not create tables. With no
   * options it is the content of `sql/nestjs-locker.sql` shipped with the package.
   */
  static createTableSql(options: { schema?: string; table?: string } = {}): string {
    return leaseSql(leaseTableNames(options.schema, options.table)).createTable;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    refuseReservedOwner(owner);
    let result: AcquireResult | typeof HELD_AS_SEMAPHORE;
    try {
      if (!this.#isReady) await this.#whenReady();
      result = await this.#acquires.add({ key, owner, ttlMs });
      if (result !== HELD_AS_SEMAPHORE && !result.acquired && !result.retryAfterMs) {
        result = await this.#missWithRemaining(key, result);
      }
    } catch (error) {
      throw this.#error('acquire', key, error);
    }
    if (result === HELD_AS_SEMAPHORE) {
      throw this.#error(
        'acquire',
        key,
        'the key is held as a semaphore; a key is used either as a mutex or as a semaphore, never both',
      );
    }
    return result;
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return this.#extendKind(leases, (chunk) => this.#extendPlain(chunk));
  }

  async release(key: string, owner: string): Promise<boolean> {
    return this.#call('release', key, owner, () => this.#releases.add({ key, owner }));
  }

  /** Runs one call of a capability once the table is ready, its failure as this backend's error. */
  async #call<T>(
    operation: 'acquire' | 'release',
    key: string,
    owner: string,
    call: () => Promise<T>,
  ): Promise<T> {
    refuseReservedOwner(owner);
    try {
      if (!this.#isReady) await this.#whenReady();
      return await call();
    } catch (error) {
      throw this.#error(operation, key, error);
    }
  }

  /** Extends leases of one kind in chunks; rejects only when no lease could be extended. */
  async #extendKind<L extends LeaseToExtend>(
    leases: readonly L[],
    extendChunk: (chunk: L[]) => Promise<ExtendResult[]>,
  ): Promise<ExtendResult[]> {
    for (const lease of leases) refuseReservedOwner(lease.owner);
    const results: ExtendResult[] = new Array(leases.length);
    await this.#extendGroup(leases, [...leases.keys()], results, extendChunk);
    const first = results[0];
    if (typeof first === 'object' && results.every((result) => typeof result === 'object')) {
      throw first;
    }
    return results;
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    let rows: { owner: string; token: string; ms: number }[];
    try {
      if (!this.#isReady) await this.#whenReady();
      rows = await this.#query('inspect', [key]);
    } catch (error) {
      throw this.#error('inspect', key, error);
    }
    const row = rows[0];
    if (!row) return null;
    if (row.owner === SEMAPHORE_OWNER) {
      try {
        return await this.#semaphores.inspect(key);
      } catch (error) {
        throw this.#error('inspect', key, error);
      }
    }
    return { key, owner: row.owner, fencingToken: BigInt(row.token), expiresAt: row.ms };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    await this.#wakeups?.close();
    if (this.#ownsPool) await this.#pool.end().catch(() => undefined);
  }

  async #subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    try {
      // Safe: only called when listening is on.
      return await this.#wakeups!.subscribe(key, onRelease);
    } catch (error) {
      throw this.#error('subscribe', key, error);
    }
  }

  /** Creates or checks the table once; a failed attempt is retried by the next call. */
  #whenReady(): Promise<void> {
    if (!this.#ready) {
      this.#ready = this.#prepareTable().then(
        () => {
          this.#isReady = true;
          this.#startSweeping();
        },
        (error: unknown) => {
          this.#ready = undefined;
          throw error;
        },
      );
    }
    return this.#ready;
  }

  async #prepareTable(): Promise<void> {
    if (this.#createTable) {
      const rows = await this.#query<{ current: boolean }>('schemaCurrent', [this.#names.table]);
      if (rows[0]?.current) return;
      await this.#timed(this.#pool.query({ text: this.#sql.createTableLocked }));
      return;
    }
    const rows = await this.#query<{ present: boolean }>('tableExists', [this.#names.table]);
    if (!rows[0]?.present) {
      throw new Error(
        `the lease table ${this.#names.table} does not exist and createTable is false: create it with ` +
          'the SQL in node_modules/nestjs-locker/sql/nestjs-locker.sql (or PostgresLockBackend.createTableSql())',
      );
    }
  }

  /**
   * Runs `extendChunk` on the leases at `indexes`, MAX_BATCH at a time, into `results`. Never
   * rejects: a chunk that one lease's values failed is re-run lease by lease; after any other
   * failure, that chunk's and the later chunks' leases get the error (the next statement would
   * meet the same store).
   */
  async #extendGroup<L extends LeaseToExtend>(
    leases: readonly L[],
    indexes: readonly number[],
    results: ExtendResult[],
    extendChunk: (chunk: L[]) => Promise<ExtendResult[]>,
  ): Promise<void> {
    for (let i = 0; i < indexes.length; i += MAX_BATCH) {
      const chunkIndexes = indexes.slice(i, i + MAX_BATCH);
      const chunk = chunkIndexes.map((index) => leases[index]!);
      let extended: ExtendResult[];
      try {
        if (!this.#isReady) await this.#whenReady();
        extended = await extendChunk(chunk);
      } catch (error) {
        if (chunk.length > 1 && mayBeOneItem(error)) {
          extended = await Promise.all(
            chunk.map((lease) =>
              extendChunk([lease]).then(
                ([result]) => result,
                (alone: unknown) => this.#error('extend', lease.key, alone),
              ),
            ),
          );
        } else {
          const failure = this.#error(
            'extend',
            chunk.length === 1 ? chunk[0]!.key : undefined,
            error,
          );
          for (const index of indexes.slice(i)) results[index] = failure;
          return;
        }
      }
      chunkIndexes.forEach((index, j) => {
        results[index] = extended[j];
      });
    }
  }

  async #extendPlain(chunk: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const rows = await this.#query<{ key: string; owner: string; ms: number }>('extend', [
      chunk.map((lease) => lease.key),
      chunk.map((lease) => lease.owner),
      chunk.map((lease) => lease.ttlMs),
    ]);
    // Keys cannot hold NUL, so key + NUL + owner names one lease.
    const extended = new Map(rows.map((row) => [`${row.key}\0${row.owner}`, row.ms]));
    return chunk.map((lease) => extended.get(`${lease.key}\0${lease.owner}`));
  }

  /**
   * A miss that said nothing of the holder (or 0 ms): its statement's snapshot was taken before
   * a contender's lease, committed while the statement waited on the row, so it saw the row free
   * or expired. A second statement sees that lease: its remaining ttl, or still nothing when the
   * key is free by now. Only a hint: if it fails, the miss stands as it was.
   */
  async #missWithRemaining(key: string, miss: AcquireResult): Promise<AcquireResult> {
    try {
      const [row] = await this.#query<{ ms: number | null }>('remaining', [key]);
      return row?.ms ? { acquired: false, retryAfterMs: row.ms } : miss;
    } catch {
      return miss;
    }
  }

  async #acquireBatch(
    items: AcquireRequest[],
  ): Promise<(AcquireResult | typeof HELD_AS_SEMAPHORE | LockBackendError)[]> {
    const results: (AcquireResult | typeof HELD_AS_SEMAPHORE | LockBackendError)[] = new Array(
      items.length,
    );
    await this.#inRounds(items, results, 'acquire', async (round) => {
      if (round.length === 1) {
        const index = round[0]!;
        const { key, owner, ttlMs } = items[index]!;
        const rows = await this.#query<AcquireRow>('acquireOne', [key, owner, ttlMs]);
        results[index] = acquireResult(rows[0]);
        return;
      }
      // Rows are locked in key order, so two batches never wait for each other in a cycle.
      round.sort((a, b) => (items[a]!.key < items[b]!.key ? -1 : 1));
      const rows = await this.#query<AcquireRow & { i: number }>('acquireMany', [
        round.map((index) => items[index]!.key),
        round.map((index) => items[index]!.owner),
        round.map((index) => items[index]!.ttlMs),
      ]);
      for (const row of rows) results[round[row.i - 1]!] = acquireResult(row);
    });
    return results;
  }

  async #releaseBatch(items: ReleaseRequest[]): Promise<(boolean | LockBackendError)[]> {
    const results: (boolean | LockBackendError)[] = new Array(items.length).fill(false);
    const channel = this.#names.channel;
    await this.#inRounds(items, results, 'release', async (round) => {
      if (round.length === 1) {
        const index = round[0]!;
        const rows = await this.#query('releaseOne', [
          items[index]!.key,
          items[index]!.owner,
          channel,
        ]);
        results[index] = rows.length > 0;
        return;
      }
      const rows = await this.#query<{ key: string }>('releaseMany', [
        round.map((index) => items[index]!.key),
        round.map((index) => items[index]!.owner),
        channel,
      ]);
      const released = new Set(rows.map((row) => row.key));
      for (const index of round) results[index] = released.has(items[index]!.key);
    });
    return results;
  }

  /**
   * Runs a same-tick batch round by round (each round has distinct keys), each round's answers
   * written into `results` by `runRound`. Each item settles on its own: a round that one item's
   * values failed (see {@link mayBeOneItem}) is re-run item by item, so only that item gets its
   * error; after any other failure, that round's and the later rounds' items get the error (the
   * next statement would meet the same store) and the batch stops there.
   */
  async #inRounds<R>(
    items: readonly { readonly key: string }[],
    results: (R | LockBackendError)[],
    operation: 'acquire' | 'release',
    runRound: (round: number[]) => Promise<void>,
  ): Promise<void> {
    const rounds = distinctKeyRounds(items);
    for (let r = 0; r < rounds.length; r++) {
      const round = rounds[r]!;
      try {
        await runRound(round);
      } catch (error) {
        if (round.length > 1 && mayBeOneItem(error)) {
          await Promise.all(
            round.map((index) =>
              runRound([index]).catch((alone: unknown) => {
                results[index] = this.#error(operation, items[index]!.key, alone);
              }),
            ),
          );
          continue;
        }
        for (const later of rounds.slice(r)) {
          for (const index of later)
            results[index] = this.#error(operation, items[index]!.key, error);
        }
        return;
      }
    }
  }

  #startSweeping(): void {
    if (this.#sweepIntervalMs === 0 || this.#closed || this.#sweepTimer) return;
    this.#sweepTimer = setInterval(() => {
      if (this.#sweeping || this.#closed) return;
      this.#sweeping = true;
      // A failed sweep is harmless (rows wait for the next one); the lock calls report outages.
      // The shapes' tables are swept on their own: they may be missing where an older version's
      // DDL was run by hand.
      Promise.all([
        this.#query('sweep', [this.#sweepIntervalMs]).catch(() => undefined),
        this.#query('sweepShapes', [this.#sweepIntervalMs]).catch(() => undefined),
      ]).finally(() => {
        this.#sweeping = false;
      });
    }, this.#sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  #query<Row>(operation: Operation, values: readonly unknown[]): Promise<Row[]> {
    return this.#run<Row>(operation, this.#sql[operation], values);
  }

  /** Runs one statement, as a prepared statement named per table and `name` when preparing. */
  async #run<Row>(name: string, text: string, values: readonly unknown[]): Promise<Row[]> {
    const config: PgQueryConfig = this.#prepared
      ? { name: `nestjs_locker_${this.#names.id}_${name}`, text, values }
      : { text, values };
    const result = await this.#timed(this.#pool.query<Row>(config));
    return result.rows;
  }

  #timed<T>(call: Promise<T>): Promise<T> {
    return this.#timeoutMs === undefined ? call : this.#deadlines.bound(call, this.#timeoutMs);
  }

  #error(operation: string, key: string | undefined, error: unknown): LockBackendError {
    if (error instanceof LockBackendError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && UNDEFINED_OBJECT_CODES.has(code)) {
      // Shapes on a table whose DDL an older version made (createTable: false).
      return new LockBackendError(
        this.name,
        operation,
        key,
        `${(error as Error).message}: run the DDL of sql/nestjs-locker.sql (or PostgresLockBackend.createTableSql()) again, it adds what fair locks, semaphores and multi-key locks need`,
      );
    }
    return new LockBackendError(this.name, operation, key, error);
  }
}

/**
 * Splits a batch into rounds in which every key appears at most once (one statement may not upsert
 * a row twice); the n-th request for a key goes into round n. Each round lists item indexes.
 */
function distinctKeyRounds(items: readonly { readonly key: string }[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const round = seen.get(item.key) ?? 0;
    seen.set(item.key, round + 1);
    if (round === rounds.length) rounds.push([]);
    rounds[round]!.push(index);
  });
  return rounds;
}

function acquireResult(row: AcquireRow | undefined): AcquireResult | typeof HELD_AS_SEMAPHORE {
  return row?.semaphore ? HELD_AS_SEMAPHORE : leaseResult(row);
}

/** The owner of semaphore markers cannot hold, extend or release anything itself. */
function refuseReservedOwner(owner: string): void {
  if (owner === SEMAPHORE_OWNER) {
    throw new InvalidLockOptionsError(
      'owner',
      `"${SEMAPHORE_OWNER}" is reserved by PostgresLockBackend for semaphore keys`,
    );
  }
}
