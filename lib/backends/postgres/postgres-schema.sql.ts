import { createHash } from 'node:crypto';
import { advisorySql } from './postgres-advisory.sql.js';
import { directorySql } from './postgres-directory.sql.js';
import { fairSql } from './postgres-fair.sql.js';
import { multiSql } from './postgres-multi-key.sql.js';
import type { LeaseTableNames } from './postgres-names.js';
import { readWriteSql } from './postgres-read-write.sql.js';
import { resultsSql } from './postgres-results.sql.js';
import { semaphoreSql } from './postgres-semaphore.sql.js';
import { deleteLongExpired, SWEEP_BATCH } from './postgres-sql-fragments.js';
import { bool, float8, int4, type Statement, statement, text } from './postgres-statement.js';
import { waitGraphSql } from './postgres-wait-graph.sql.js';

/**
 * The DDL of one lease table and the statements that check and sweep it. The only text placed
 * into them is the table's checked, double-quoted names (see `postgres-names.ts`).
 */
export interface SchemaSql {
  /**
   * The DDL: schema (unless public), table and fence sequence, all `IF NOT EXISTS`; then the queue,
   * permits, readers, read-write queue, waits, results and instances tables and the functions of the lease
   * shapes and the waits-for graph (`CREATE OR REPLACE`, so an upgrade brings them up to date). The shapes only add objects: a table made by an older version keeps
   * working for plain locks until this runs again.
   */
  readonly createTable: string;
  /** The DDL under a transaction-level advisory lock, so that concurrent first starts do not race. */
  readonly createTableLocked: string;
  /** $1 the table's qualified name as text. One row: `present` boolean. */
  readonly tableExists: Statement<readonly [table: string], { readonly present: boolean }>;
  /**
   * $1 the table's qualified name as text. One row: `current`, true when the DDL of this version
   * already ran there (the table's comment names a digest of it), so a start needs no DDL: no
   * advisory lock to queue on, no function to recompile in every session.
   */
  readonly schemaCurrent: Statement<readonly [table: string], { readonly current: boolean }>;
  /**
   * $1 ms. Deletes up to {@link SWEEP_BATCH} rows that have been free for at least that long. One
   * row: `swept`, how many it deleted (a full batch: there may be more).
   */
  readonly sweep: Statement<readonly [ms: number], { readonly swept: number }>;
  /**
   * $1 ms. Deletes up to 1 000 tickets and 1 000 permit slots each that have been expired or free
   * for at least that long (an acquire makes a key's slots again). Apart from `sweep`, so that a
   * table without the shapes' DDL still gets swept.
   */
  readonly sweepShapes: Statement<readonly [ms: number], unknown>;
  /**
   * $1 ms. Deletes up to 1 000 read holds and 1 000 read-write tickets each that have been expired
   * for at least that long. Apart from `sweepShapes`, so that tables made by the DDL of a version
   * before read-write locks (run by hand, `createTable: false`) keep their queue and permits swept.
   */
  readonly sweepReadWrite: Statement<readonly [ms: number], unknown>;
  /**
   * $1 ms. Deletes up to 1 000 waits and 1 000 shared outcomes each that have been expired for at
   * least that long. Apart from `sweepReadWrite`, so that tables made by the DDL of a version
   * before them keep their read holds swept.
   */
  readonly sweepWaitsAndResults: Statement<readonly [ms: number], unknown>;
}

/** Builds the DDL and the schema statements of the lease table `names`. */
export function schemaSql(names: LeaseTableNames): SchemaSql {
  const { table, fence } = names;
  const objects = [
    names.schema === '"public"' ? '' : `CREATE SCHEMA IF NOT EXISTS ${names.schema};\n`,
    `CREATE TABLE IF NOT EXISTS ${table} (\n`,
    '  key text PRIMARY KEY,\n',
    '  owner text,\n',
    '  token bigint NOT NULL,\n',
    '  expires_at timestamptz NOT NULL\n',
    ') WITH (fillfactor = 80);\n',
    `CREATE SEQUENCE IF NOT EXISTS ${fence};\n`,
    fairSql(names).ddl,
    semaphoreSql(names).ddl,
    multiSql(names).ddl,
    readWriteSql(names).ddl,
    waitGraphSql(names).ddl,
    resultsSql(names).ddl,
    directorySql(names).ddl,
    advisorySql(names).ddl,
  ].join('');
  const digest = createHash('sha256').update(objects).digest('hex').slice(0, 16);
  const schemaComment = `nestjs-locker schema ${digest}`;
  const createTable = `${objects}COMMENT ON TABLE ${table} IS '${schemaComment}';\n`;

  return {
    createTable,
    // One simple-protocol query runs as one transaction, so the advisory lock covers all the DDL.
    createTableLocked: `SELECT pg_advisory_xact_lock(hashtextextended('nestjs-locker ddl', 0));\n${createTable}`,
    tableExists: statement({
      name: 'tableExists',
      text: `SELECT to_regclass($1::text) IS NOT NULL AS present`,
      params: [text],
      rows: 'one',
      columns: { present: bool },
    }),
    schemaCurrent: statement({
      name: 'schemaCurrent',
      text: `SELECT coalesce(obj_description(to_regclass($1::text), 'pg_class') = '${schemaComment}', false)
       AS current`,
      params: [text],
      rows: 'one',
      columns: { current: bool },
    }),
    sweep: statement({
      name: 'sweep',
      text: `WITH gone AS (
${deleteLongExpired(table, ['key'])}
  RETURNING 1
)
SELECT count(*)::int AS swept FROM gone`,
      params: [float8],
      rows: 'one',
      columns: { swept: int4 },
    }),
    sweepShapes: statement({
      name: 'sweepShapes',
      text: `WITH tickets AS (
${deleteLongExpired(names.queue, ['key', 'owner'])}
  RETURNING 1
), permits AS (
${deleteLongExpired(names.permits, ['key', 'slot'])}
  RETURNING 1
)
SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM permits) AS swept`,
      params: [float8],
      rows: 'one',
      columns: {},
    }),
    sweepReadWrite: statement({
      name: 'sweepReadWrite',
      text: `WITH readers AS (
${deleteLongExpired(names.readers, ['key', 'owner'])}
  RETURNING 1
), tickets AS (
${deleteLongExpired(names.rwQueue, ['key', 'owner'])}
  RETURNING 1
)
SELECT (SELECT count(*) FROM readers) + (SELECT count(*) FROM tickets) AS swept`,
      params: [float8],
      rows: 'one',
      columns: {},
    }),
    sweepWaitsAndResults: statement({
      name: 'sweepWaitsAndResults',
      text: `WITH waits AS (
${deleteLongExpired(names.waits, ['id'])}
  RETURNING 1
), results AS (
${deleteLongExpired(names.results, ['key'])}
  RETURNING 1
)
SELECT (SELECT count(*) FROM waits) + (SELECT count(*) FROM results) AS swept`,
      params: [float8],
      rows: 'one',
      columns: {},
    }),
  };
}
