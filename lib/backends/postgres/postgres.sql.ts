import type { LeaseTableNames } from './postgres-names.js';
import { epochMs, remainingMs, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import {
  bool,
  float8,
  float8Array,
  int4,
  int8,
  nullable,
  type Statement,
  statement,
  text,
  textArray,
} from './postgres-statement.js';

/** A plain acquire's answer: see {@link LeaseSql.acquireOne}. */
export interface AcquireRow {
  readonly token: string | null;
  readonly ms: number | null;
  readonly semaphore: boolean | null;
}

/** One extended lease: its key and owner, and its new expiry in epoch ms. */
export interface ExtendedRow {
  readonly key: string;
  readonly owner: string;
  readonly ms: number;
}

const acquireColumns = { token: nullable(int8), ms: nullable(float8), semaphore: nullable(bool) };

/**
 * The statements of plain mutex leases, for one lease table (the DDL and the sweeps are in
 * `postgres-schema.sql.ts`, the shapes' beside their classes). The only text placed into them is
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
   * $1 key, $2 owner, $3 ttl ms. Takes the key if free, expired or already this owner's (then same
   * token, new expiry). One row `(token, ms)`: token set = acquired and ms the new expiry (epoch ms);
   * token NULL = taken, ms the holder's remaining ttl. No row: taken, remaining ttl unknown. Also
   * `semaphore`: true when the key is taken as a semaphore (a mistake of the caller's).
   */
  readonly acquireOne: Statement<readonly [key: string, owner: string, ttlMs: number], AcquireRow>;
  /**
   * $1 keys, $2 owners, $3 ttls ms (distinct keys). The same as `acquireOne` for many keys, rows
   * locked in key order; one row `(i, token, ms, semaphore)` per request, `i` its 1-based position.
   */
  readonly acquireMany: Statement<
    readonly [keys: readonly string[], owners: readonly string[], ttlsMs: readonly number[]],
    AcquireRow & { readonly i: number }
  >;
  /**
   * $1 keys, $2 owners, $3 ttls ms. Extends each lease still held by its owner.
   * One row `(key, owner, ms)` per extended lease, ms its new expiry. Rows locked in key order.
   */
  readonly extend: Statement<
    readonly [keys: readonly string[], owners: readonly string[], ttlsMs: readonly number[]],
    ExtendedRow
  >;
  /**
   * $1 key, $2 owner, $3 channel. Frees the key if this owner holds it and announces it on the
   * channel (payload md5(key)). One row if released, none otherwise. Committed without waiting for
   * the WAL flush: a release lost in a crash only leaves the lease to run out.
   */
  readonly releaseOne: Statement<readonly [key: string, owner: string, channel: string], unknown>;
  /** $1 keys, $2 owners, $3 channel. As `releaseOne` for many; one row `(key)` per released key. */
  readonly releaseMany: Statement<
    readonly [keys: readonly string[], owners: readonly string[], channel: string],
    { readonly key: string }
  >;
  /** $1 key. One row `(owner, token, ms)` while a lease is live, none otherwise. */
  readonly inspect: Statement<
    readonly [key: string],
    { readonly owner: string; readonly token: string; readonly ms: number }
  >;
  /**
   * $1 key. One row `(ms)`, the live lease's remaining ttl, none when the key is free. A statement
   * of its own, for a miss that could not see the holder: an acquire's snapshot predates a
   * contender's lease committed while it waited on the row.
   */
  readonly remaining: Statement<readonly [key: string], { readonly ms: number | null }>;
  /** Subscribes the listening connection to the table's channel. */
  readonly listen: string;
}

/** Builds the statements of plain mutex leases on the lease table `names`. */
export function leaseSql(names: LeaseTableNames): LeaseSql {
  const { table, fence } = names;
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
    acquireOne: statement({
      name: 'acquireOne',
      text: `WITH taken AS (
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
      params: [text, text, float8],
      rows: 'atMostOne',
      columns: acquireColumns,
    }),
    acquireMany: statement({
      name: 'acquireMany',
      text: `WITH req AS (
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
      params: [textArray, textArray, float8Array],
      rows: 'any',
      columns: { ...acquireColumns, i: int4 },
    }),
    extend: statement({
      name: 'extend',
      text: `WITH req AS (
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
      params: [textArray, textArray, float8Array],
      rows: 'any',
      columns: { key: text, owner: text, ms: float8 },
    }),
    releaseOne: statement({
      name: 'releaseOne',
      text: `WITH released AS (
  UPDATE ${table} SET owner = NULL, expires_at = clock_timestamp()
   WHERE key = $1::text AND owner = $2::text AND expires_at > clock_timestamp()
  RETURNING key
)
SELECT pg_notify($3::text, md5(key)), ${asyncCommit} FROM released`,
      params: [text, text, text],
      rows: 'atMostOne',
      columns: {},
    }),
    releaseMany: statement({
      name: 'releaseMany',
      text: `WITH req AS (
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
      params: [textArray, textArray, text],
      rows: 'any',
      columns: { key: text },
    }),
    inspect: statement({
      name: 'inspect',
      text: `SELECT owner, token::text AS token, ${epochMs('expires_at')} AS ms FROM ${table}
 WHERE key = $1::text AND owner IS NOT NULL AND expires_at > clock_timestamp()`,
      params: [text],
      rows: 'atMostOne',
      columns: { owner: text, token: int8, ms: float8 },
    }),
    remaining: statement({
      name: 'remaining',
      text: `SELECT ${remainingMs('expires_at')} AS ms FROM ${table}
 WHERE key = $1::text AND owner IS NOT NULL AND expires_at > clock_timestamp()`,
      params: [text],
      rows: 'atMostOne',
      columns: { ms: nullable(float8) },
    }),
    listen: `LISTEN ${names.channel}`,
  };
}
