import { createHash } from 'node:crypto';
import { fairSql } from './postgres-fair.sql.js';
import { multiSql } from './postgres-multi.sql.js';
import type { LeaseTableNames } from './postgres-names.js';
import { semaphoreSql } from './postgres-semaphore.sql.js';
import { epochMs, remainingMs, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';

/**
 * Every statement of the Postgres backend, for one lease table. The only text placed into them is
 * the table's checked, double-quoted names (see `postgres-names.ts`); every key, owner, duration and
 * channel is a query parameter.
 *
 * Time is always the database's `clock_timestamp()`: the real time of the statement, also inside a
 * caller's long transaction, where `now()` would stand still. A row's `owner` is NULL once released;
 * the row itself stays until the sweep, so a hot key is updated in place instead of re-inserted.
 * Fencing tokens come from the table's own sequence (never below the key's last token + 1), so they
 * keep rising across releases, expiries, swept rows and server restarts: a sequence only moves
 * forward, also through crash recovery.
 */
export interface LeaseSql {
  /**
   * The DDL: schema (unless public), table and fence sequence, all `IF NOT EXISTS`; then the queue
   * and permits tables and the functions of the lease shapes (`CREATE OR REPLACE`, so an upgrade
   * brings them up to date). The shapes only add objects: a table made by an older version keeps
   * working for plain locks until this runs again.
   */
  readonly createTable: string;
  /** The DDL under a transaction-level advisory lock, so that concurrent first starts do not race. */
  readonly createTableLocked: string;
  /** $1 the table's qualified name as text. One row: `present` boolean. */
  readonly tableExists: string;
  /**
   * $1 the table's qualified name as text. One row: `current`, true when the DDL of this version
   * already ran there (the table's comment names a digest of it), so a start needs no DDL: no
   * advisory lock to queue on, no function to recompile in every session.
   */
  readonly schemaCurrent: string;
  /**
   * $1 key, $2 owner, $3 ttl ms. Takes the key if free, expired or already this owner's (then same
   * token, new expiry). One row `(token, ms)`: token set = acquired and ms the new expiry (epoch ms);
   * token NULL = taken, ms the holder's remaining ttl. No row: taken, remaining ttl unknown. Also
   * `semaphore`: true when the key is taken as a semaphore (a mistake of the caller's).
   */
  readonly acquireOne: string;
  /**
   * $1 keys, $2 owners, $3 ttls ms (distinct keys). The same as `acquireOne` for many keys, rows
   * locked in key order; one row `(i, token, ms, semaphore)` per request, `i` its 1-based position.
   */
  readonly acquireMany: string;
  /**
   * $1 keys, $2 owners, $3 ttls ms. Extends each lease still held by its owner.
   * One row `(key, owner, ms)` per extended lease, ms its new expiry. Rows locked in key order.
   */
  readonly extend: string;
  /**
   * $1 key, $2 owner, $3 channel. Frees the key if this owner holds it and announces it on the
   * channel (payload md5(key)). One row if released, none otherwise. Committed without waiting for
   * the WAL flush: a release lost in a crash only leaves the lease to run out.
   */
  readonly releaseOne: string;
  /** $1 keys, $2 owners, $3 channel. As `releaseOne` for many; one row `(key)` per released key. */
  readonly releaseMany: string;
  /** $1 key. One row `(owner, token, ms)` while a lease is live, none otherwise. */
  readonly inspect: string;
  /**
   * $1 key. One row `(ms)`, the live lease's remaining ttl, none when the key is free. A statement
   * of its own, for a miss that could not see the holder: an acquire's snapshot predates a
   * contender's lease committed while it waited on the row.
   */
  readonly remaining: string;
  /** $1 ms. Deletes up to 1 000 rows that have been free for at least that long. Row count. */
  readonly sweep: string;
  /**
   * $1 ms. Deletes up to 1 000 tickets and 1 000 permit slots each that have been expired or free
   * for at least that long (an acquire makes a key's slots again). Apart from `sweep`, so that a table without the shapes' DDL still gets swept.
   */
  readonly sweepShapes: string;
  /** Subscribes the listening connection to the table's channel. */
  readonly listen: string;
}

/** Builds the statements of the lease table `names`. */
export function leaseSql(names: LeaseTableNames): LeaseSql {
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
  ].join('');
  const digest = createHash('sha256').update(objects).digest('hex').slice(0, 16);
  const schemaComment = `nestjs-locker schema ${digest}`;
  const createTable = `${objects}COMMENT ON TABLE ${table} IS '${schemaComment}';\n`;

  // ON CONFLICT takes the row only when it is free, expired, or this owner's own lease (an acquire
  // retried after its answer was lost); the owner's own live lease keeps its token.
  const upsert = `ON CONFLICT (key) DO UPDATE SET
    owner = excluded.owner,
    token = CASE WHEN l.owner = excluded.owner AND l.expires_at > clock_timestamp()
                 THEN l.token ELSE greatest(l.token + 1, excluded.token) END,
    expires_at = excluded.expires_at
  WHERE l.owner IS NULL OR l.expires_at <= clock_timestamp() OR l.owner = excluded.owner`;

  const asyncCommit = `set_config('synchronous_commit', 'off', true)`;

  return {
    createTable,
    // One simple-protocol query runs as one transaction, so the advisory lock covers all the DDL.
    createTableLocked: `SELECT pg_advisory_xact_lock(hashtextextended('nestjs-locker ddl', 0));\n${createTable}`,
    tableExists: `SELECT to_regclass($1::text) IS NOT NULL AS present`,
    schemaCurrent: `SELECT coalesce(obj_description(to_regclass($1::text), 'pg_class') = '${schemaComment}', false)
       AS current`,
    acquireOne: `WITH taken AS (
  INSERT INTO ${table} AS l (key, owner, token, expires_at)
  VALUES ($1::text, $2::text, nextval('${fence}'),
          clock_timestamp() + $3::float8 * interval '1 millisecond')
  ${upsert}
  RETURNING l.token, l.expires_at
)
SELECT token::text AS token, ${epochMs('expires_at')} AS ms, false AS semaphore FROM taken
UNION ALL
SELECT NULL, ${remainingMs('l.expires_at')}, l.owner = '${SEMAPHORE_OWNER}' FROM ${table} l
 WHERE l.key = $1::text AND NOT EXISTS (SELECT FROM taken)`,
    acquireMany: `WITH req AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) WITH ORDINALITY AS r(key, owner, ttl_ms, i)
), taken AS (
  INSERT INTO ${table} AS l (key, owner, token, expires_at)
  SELECT key, owner, nextval('${fence}'), clock_timestamp() + ttl_ms * interval '1 millisecond'
    FROM req ORDER BY key
  ${upsert}
  RETURNING l.key, l.token, l.expires_at
)
SELECT req.i::int AS i, taken.token::text AS token,
       CASE WHEN taken.key IS NOT NULL THEN ${epochMs('taken.expires_at')}
            ELSE ${remainingMs('l.expires_at')} END AS ms,
       l.owner = '${SEMAPHORE_OWNER}' AS semaphore
  FROM req
  LEFT JOIN taken ON taken.key = req.key
  LEFT JOIN ${table} l ON l.key = req.key AND taken.key IS NULL`,
    extend: `WITH req AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) AS r(key, owner, ttl_ms)
), held AS (
  SELECT l.key FROM ${table} l JOIN req ON req.key = l.key AND req.owner = l.owner
   WHERE l.expires_at > clock_timestamp()
   ORDER BY l.key FOR UPDATE OF l
)
UPDATE ${table} AS l SET expires_at = clock_timestamp() + req.ttl_ms * interval '1 millisecond'
  FROM req, held
 WHERE held.key = l.key AND req.key = l.key AND req.owner = l.owner
   AND l.expires_at > clock_timestamp()
RETURNING l.key, l.owner, ${epochMs('l.expires_at')} AS ms`,
    releaseOne: `WITH released AS (
  UPDATE ${table} SET owner = NULL, expires_at = clock_timestamp()
   WHERE key = $1::text AND owner = $2::text AND expires_at > clock_timestamp()
  RETURNING key
)
SELECT pg_notify($3::text, md5(key)), ${asyncCommit} FROM released`,
    releaseMany: `WITH req AS (
  SELECT * FROM unnest($1::text[], $2::text[]) AS r(key, owner)
), held AS (
  SELECT l.key FROM ${table} l JOIN req ON req.key = l.key AND req.owner = l.owner
   WHERE l.expires_at > clock_timestamp()
   ORDER BY l.key FOR UPDATE OF l
), released AS (
  UPDATE ${table} AS l SET owner = NULL, expires_at = clock_timestamp()
    FROM req, held
   WHERE held.key = l.key AND req.key = l.key AND req.owner = l.owner
     AND l.expires_at > clock_timestamp()
  RETURNING l.key
)
SELECT key, pg_notify($3::text, md5(key)), ${asyncCommit} FROM released`,
    inspect: `SELECT owner, token::text AS token, ${epochMs('expires_at')} AS ms FROM ${table}
 WHERE key = $1::text AND owner IS NOT NULL AND expires_at > clock_timestamp()`,
    remaining: `SELECT ${remainingMs('expires_at')} AS ms FROM ${table}
 WHERE key = $1::text AND owner IS NOT NULL AND expires_at > clock_timestamp()`,
    sweep: `DELETE FROM ${table} WHERE key IN (
  SELECT key FROM ${table}
   WHERE expires_at <= clock_timestamp() - $1::float8 * interval '1 millisecond'
   LIMIT 1000 FOR UPDATE SKIP LOCKED
)`,
    sweepShapes: `WITH tickets AS (
  DELETE FROM ${names.queue} WHERE (key, owner) IN (
    SELECT key, owner FROM ${names.queue}
     WHERE expires_at <= clock_timestamp() - $1::float8 * interval '1 millisecond'
     LIMIT 1000 FOR UPDATE SKIP LOCKED)
  RETURNING 1
), permits AS (
  DELETE FROM ${names.permits} WHERE (key, slot) IN (
    SELECT key, slot FROM ${names.permits}
     WHERE expires_at <= clock_timestamp() - $1::float8 * interval '1 millisecond'
     LIMIT 1000 FOR UPDATE SKIP LOCKED)
  RETURNING 1
)
SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM permits) AS swept`,
    listen: `LISTEN ${names.channel}`,
  };
}
