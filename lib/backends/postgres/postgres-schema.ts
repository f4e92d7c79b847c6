import { backendProblem } from './postgres-errors.js';
import type { LeaseTableNames } from './postgres-names.js';
import { type SchemaSql, schemaSql } from './postgres-schema.sql.js';
import { SWEEP_BATCH } from './postgres-sql-fragments.js';
import type { Statement } from './postgres-statement.js';

/**
 * The most lease-row batches one sweep deletes: with the default interval (60 s), up to 60 000
 * released keys a minute are given back, 1 000 a second.
 */
export const MAX_SWEEP_BATCHES = 60;

/**
 * Runs `sweepBatch` (one statement deleting up to {@link SWEEP_BATCH} rows, resolving how many it
 * deleted) until a batch is not full, {@link MAX_SWEEP_BATCHES} ran, or `closed()`: the drain of
 * both the lease table's sweep and the advisory mode's.
 */
export async function sweepInBatches(
  sweepBatch: () => Promise<number | undefined>,
  closed: () => boolean,
): Promise<void> {
  for (let batch = 0; batch < MAX_SWEEP_BATCHES && !closed(); batch++) {
    if (((await sweepBatch()) ?? 0) < SWEEP_BATCH) return;
  }
}

/** What the schema needs of the backend's context (which owns the schema): running statements. */
export interface SchemaRunner {
  readonly names: LeaseTableNames;
  run<Values extends readonly unknown[], Row>(
    statement: Statement<Values, Row>,
    values: Values,
  ): Promise<Row[]>;
  runScript(text: string): Promise<void>;
}

/** What the schema does on its own: create the table or only check it, and how often to sweep. */
export interface SchemaSettings {
  /** Create the schema, table and the shapes' objects when missing (else only check the table). */
  readonly createTable: boolean;
  /** Every this many ms, delete rows free for at least as long; `0` never sweeps. */
  readonly sweepIntervalMs: number;
}

/**
 * The lease table's objects: made (or checked) before the first lock call, and swept of rows that
 * have been free for a while. Creating them runs the DDL under an advisory lock, and only when the
 * table's comment does not already name this version's DDL, so a usual start costs one query.
 *
 * @example
 * ```ts
 * await schema.prepare(); // before the first lock call; the context does this once
 * schema.startSweeping();
 * ```
 */
export class PostgresSchema {
  readonly #sql: SchemaSql;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #closed = false;

  constructor(
    private readonly context: SchemaRunner,
    private readonly settings: SchemaSettings,
  ) {
    this.#sql = schemaSql(context.names);
  }

  /** Creates the objects when missing (`createTable`), or checks that the table is there. */
  async prepare(): Promise<void> {
    const { names } = this.context;
    const sql = this.#sql;
    if (this.settings.createTable) {
      const [row] = await this.context.run(sql.schemaCurrent, [names.table]);
      if (row?.current) return;
      await this.context.runScript(sql.createTableLocked);
      return;
    }
    const [row] = await this.context.run(sql.tableExists, [names.table]);
    if (!row?.present) {
      throw backendProblem(
        'check the lease table',
        `the lease table ${names.table} does not exist and createTable is false: create it with ` +
          'the SQL in node_modules/nestjs-locker/sql/nestjs-locker.sql (or PostgresLockBackend.createTableSql())',
      );
    }
  }

  /** Sweeps every `sweepIntervalMs` from now on, unless sweeping is off or already on. */
  startSweeping(): void {
    const intervalMs = this.settings.sweepIntervalMs;
    if (intervalMs === 0 || this.#closed || this.#sweepTimer) return;
    const sql = this.#sql;
    this.#sweepTimer = setInterval(() => {
      if (this.#sweeping || this.#closed) return;
      this.#sweeping = true;
      // A failed sweep is harmless (rows wait for the next one); the lock calls report outages.
      // The shapes' tables (and the waits and results) are swept on their own: they may be
      // missing where an older version's DDL was run by hand.
      Promise.all([
        this.#sweepLeases(intervalMs).catch(() => undefined),
        this.context.run(sql.sweepShapes, [intervalMs]).catch(() => undefined),
        this.context.run(sql.sweepReadWrite, [intervalMs]).catch(() => undefined),
        this.context.run(sql.sweepWaitsAndResults, [intervalMs]).catch(() => undefined),
      ]).finally(() => {
        this.#sweeping = false;
      });
    }, intervalMs);
    this.#sweepTimer.unref();
  }

  /**
   * Deletes the lease rows free for `intervalMs`, a batch at a time, until a batch is not full or
   * {@link MAX_SWEEP_BATCHES} ran: an app that locks many distinct keys gets its rows back as fast
   * as it makes them (up to that many batches an interval), not one batch an interval.
   */
  #sweepLeases(intervalMs: number): Promise<void> {
    return sweepInBatches(
      async () => (await this.context.run(this.#sql.sweep, [intervalMs]))[0]?.swept,
      () => this.#closed,
    );
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
  }
}
