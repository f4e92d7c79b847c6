import { InvalidLockOptionsError, type LockBackendError } from '../../contract/errors.js';
import { Deadlines } from '../shared/deadlines.js';
import type { PgPoolLike, PgQueryConfig } from './pg-client.js';
import type { LeaseSql } from './postgres.sql.js';
import { backendError } from './postgres-errors.js';
import type { LeaseTableNames } from './postgres-names.js';
import { PostgresSchema, type SchemaSettings } from './postgres-schema.js';
import { READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import type { Statement } from './postgres-statement.js';

/** Leases per statement: keeps every statement short. */
export const MAX_BATCH = 128;

/** How the context reaches the database. */
export interface ContextSettings extends SchemaSettings {
  readonly pool: PgPoolLike;
  /** Run statements as named prepared statements. */
  readonly prepared: boolean;
  /** Bound every call by this many ms; `undefined` when the pool bounds them itself. */
  readonly timeoutMs: number | undefined;
}

/**
 * What the mutex and each capability of `PostgresLockBackend` share: the lease table's names and
 * statements, the pool, statements run typed (prepared or not, bounded by the command timeout),
 * the wait for the table to be ready, and the mapping of failures to `LockBackendError`.
 *
 * @example
 * ```ts
 * // One call of a capability: ready table, reserved owner refused, failures as LockBackendError.
 * return context.call('release', key, owner, async () => {
 *   const [row] = await context.run(sql.release, [key, owner, context.channel]);
 *   return row!.released;
 * });
 * ```
 */
export class PostgresContext {
  readonly channel: string;
  readonly #pool: PgPoolLike;
  readonly #prepared: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #deadlines = new Deadlines();
  readonly #schema: PostgresSchema;
  #ready: Promise<void> | undefined;
  #isReady = false;

  constructor(
    readonly names: LeaseTableNames,
    readonly sql: LeaseSql,
    settings: ContextSettings,
  ) {
    this.channel = names.channel;
    this.#pool = settings.pool;
    this.#prepared = settings.prepared;
    this.#timeoutMs = settings.timeoutMs;
    this.#schema = new PostgresSchema(this, settings);
  }

  /**
   * Runs `statement` (as a prepared statement named per table when preparing) and resolves with
   * its rows, checked against the statement's columns.
   */
  async run<Values extends readonly unknown[], Row>(
    statement: Statement<Values, Row>,
    values: Values,
  ): Promise<Row[]> {
    const { name, text } = statement;
    const config: PgQueryConfig = this.#prepared
      ? { name: `nestjs_locker_${this.names.id}_${name}`, text, values }
      : { text, values };
    const result = await this.#timed(this.#pool.query<unknown>(config));
    return statement.check(result.rows);
  }

  /** Runs SQL text that answers nothing the backend reads (the DDL), bounded by the timeout. */
  async runScript(text: string): Promise<void> {
    await this.#timed(this.#pool.query<unknown>({ text }));
  }

  /** Whether the table is known to be there: callers then skip {@link whenReady}'s await. */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** Resolves once the table is there (created or checked once; a failure is retried next call). */
  whenReady(): Promise<void> {
    if (!this.#ready) {
      this.#ready = this.#schema.prepare().then(
        () => {
          this.#isReady = true;
          this.#schema.startSweeping();
        },
        (error: unknown) => {
          this.#ready = undefined;
          throw error;
        },
      );
    }
    return this.#ready;
  }

  /**
   * Runs one call of `operation` on `key` for `owner` once the table is ready; its failure is
   * this backend's `LockBackendError`.
   */
  async call<T>(
    operation: 'acquire' | 'release',
    key: string,
    owner: string,
    call: () => Promise<T>,
  ): Promise<T> {
    refuseReservedOwner(owner);
    return this.attempt(operation, key, call);
  }

  /**
   * Runs `call` once the table is ready; its failure is this backend's `LockBackendError` of
   * `operation` on `key` (none when the operation is on no one key).
   */
  async attempt<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      if (!this.#isReady) await this.whenReady();
      return await call();
    } catch (error) {
      throw this.error(operation, key, error);
    }
  }

  /** `error` as the `LockBackendError` of `operation` on `key` (see `postgres-errors.ts`). */
  error(operation: string, key: string | undefined, error: unknown): LockBackendError {
    return backendError(operation, key, error);
  }

  /** Stops the sweeps; the pool is the backend's to end. */
  close(): void {
    this.#schema.close();
  }

  #timed<T>(call: Promise<T>): Promise<T> {
    return this.#timeoutMs === undefined ? call : this.#deadlines.bound(call, this.#timeoutMs);
  }
}

/** The owners of semaphore and readers markers cannot hold, extend or release anything themselves. */
export function refuseReservedOwner(owner: string): void {
  if (owner === SEMAPHORE_OWNER || owner === READERS_OWNER) {
    throw new InvalidLockOptionsError(
      'owner',
      `"${owner}" is reserved by PostgresLockBackend for the markers of semaphore and read-locked keys`,
    );
  }
}
