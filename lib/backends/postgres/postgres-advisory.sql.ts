import type { LeaseTableNames } from './postgres-names.js';
import { epochMs, remainingMs, SWEEP_BATCH } from './postgres-sql-fragments.js';
import {
  bool,
  float8,
  float8Array,
  int4,
  int8,
  type Statement,
  statement,
  text,
  textArray,
} from './postgres-statement.js';

/** A key an acquire batch took: its fencing token and its expiry in epoch ms. */
export interface AdvisoryAcquireRow {
  readonly key: string;
  readonly token: string;
  readonly ms: number;
}

/** One extended hold: its key and owner and its new expiry in epoch ms of the database's clock. */
export interface AdvisoryExtendRow {
  readonly key: string;
  readonly owner: string;
  readonly ms: number;
}

/** A key's holder as `inspect` reads it. */
export interface AdvisoryHolderRow {
  readonly owner: string;
  readonly token: string;
  readonly ms: number;
}

/**
 * The statements of advisory-mode locks (`PostgresAdvisoryLockBackend`). The lock on a key is the
 * session-level advisory lock `hashtextextended(key, seed)` of the backend's own connection; the
 * row of `<table>_advisory` (unlogged: nothing of it reaches the WAL) names its owner, fencing token,
 * session pid and the holder's promised expiry, for `inspect` and for the owner checks; it stays
 * after a release and names nobody once its session no longer holds the lock. Fencing
 * tokens come from the lease table's sequence, the one the durable mode draws from.
 *
 * Every statement but `inspect` and `sweep` runs on the session that holds the locks, as one
 * statement per batch. The only text placed into them is the table's checked, double-quoted names;
 * keys, owners, durations, the seed and the channel are query parameters.
 */
export interface AdvisorySql {
  /** The DDL of the holders table, part of the lease table's DDL (`postgres-schema.sql.ts`). */
  readonly ddl: string;
  /**
   * $1 keys (distinct), $2 owners, $3 ttls ms, $4 seed. Tries each key's advisory lock; a key taken
   * gets its row (token from the sequence, expiry now + ttl) and answers `(key, token, ms)`, ms its
   * expiry in epoch ms. A key missed answers no row.
   */
  readonly acquire: Statement<
    readonly [
      keys: readonly string[],
      owners: readonly string[],
      ttlsMs: readonly number[],
      seed: string,
    ],
    AdvisoryAcquireRow
  >;
  /**
   * $1 key, $2 owner, $3 ttl ms, $4 seed. `acquire` for one key, as the statement of a lone call:
   * without the arrays it is planned and run faster. One row `(key, token, ms)` when taken.
   */
  readonly acquireOne: Statement<
    readonly [key: string, owner: string, ttlMs: number, seed: string],
    AdvisoryAcquireRow
  >;
  /** $1 key, $2 seed. The remaining ms of the key's holder, when its row names a live one. */
  readonly remaining: Statement<readonly [key: string, seed: string], { readonly ms: number }>;
  /**
   * $1 keys, $2 owners, $3 ttls ms. Moves the expiry of each row this session holds for that owner;
   * one row `(key, owner, ms)` per hold still there.
   */
  readonly extend: Statement<
    readonly [keys: readonly string[], owners: readonly string[], ttlsMs: readonly number[]],
    AdvisoryExtendRow
  >;
  /**
   * $1 keys (distinct, held by this session), $2 seed, $3 channel. Unlocks each key and NOTIFYs
   * md5(key) on the channel. One row `(key, released)` per key.
   */
  readonly release: Statement<
    readonly [keys: readonly string[], seed: string, channel: string],
    { readonly key: string; readonly released: boolean }
  >;
  /** $1 key, $2 seed, $3 channel. `release` for one key. One row `(key, released)`. */
  readonly releaseOne: Statement<
    readonly [key: string, seed: string, channel: string],
    { readonly key: string; readonly released: boolean }
  >;
  /**
   * $1 key, $2 seed. The key's holder: its row, when the session named in it holds the key's
   * advisory lock now (a row left by a session that died is no holder).
   */
  readonly inspect: Statement<readonly [key: string, seed: string], AdvisoryHolderRow>;
  /**
   * $1 seed. Deletes up to 1 000 rows whose session no longer holds their lock (it died). One row:
   * `swept`.
   */
  readonly sweep: Statement<readonly [seed: string], { readonly swept: number }>;
}

/**
 * Whether session `pid` holds the advisory lock of bigint `id` now: `pg_locks` shows a bigint lock
 * as its high 32 bits in `classid` and its low 32 bits in `objid`, with `objsubid` 1.
 */
const sessionHolds = (pid: string, id: string): string => `EXISTS (
  SELECT FROM pg_locks pl
   WHERE pl.locktype = 'advisory' AND pl.granted AND pl.pid = ${pid} AND pl.objsubid = 1
     AND pl.classid = ((${id} >> 32) & 4294967295)::oid AND pl.objid = (${id} & 4294967295)::oid)`;

/** Builds the advisory-mode statements of the lease table `names`. */
export function advisorySql(names: LeaseTableNames): AdvisorySql {
  const { advisory, fence } = names;
  return {
    ddl: `CREATE UNLOGGED TABLE IF NOT EXISTS ${advisory} (
  key text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  pid integer NOT NULL,
  expires_at timestamptz NOT NULL
);
`,
    acquire: statement({
      name: 'advisoryAcquire',
      // One statement, no join back to the requests: a taken key answers a row, a missed one none.
      text: `WITH req AS (
  SELECT r.key, r.owner, r.ttl_ms
    FROM unnest($1::text[], $2::text[], $3::float8[]) AS r(key, owner, ttl_ms)
   WHERE pg_try_advisory_lock(hashtextextended(r.key, $4::bigint))
)
INSERT INTO ${advisory} AS h (key, owner, token, pid, expires_at)
SELECT key, owner, nextval('${fence}'), pg_backend_pid(),
       clock_timestamp() + ttl_ms * interval '1 millisecond'
  FROM req
ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, token = excluded.token,
                                pid = excluded.pid, expires_at = excluded.expires_at
RETURNING h.key, h.token::text AS token, ${epochMs('h.expires_at')} AS ms`,
      params: [textArray, textArray, float8Array, int8],
      rows: 'any',
      columns: { key: text, token: int8, ms: float8 },
    }),
    acquireOne: statement({
      name: 'advisoryAcquireOne',
      text: `WITH req AS (SELECT WHERE pg_try_advisory_lock(hashtextextended($1::text, $4::bigint)))
INSERT INTO ${advisory} AS h (key, owner, token, pid, expires_at)
SELECT $1::text, $2::text, nextval('${fence}'), pg_backend_pid(),
       clock_timestamp() + $3::float8 * interval '1 millisecond'
  FROM req
ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, token = excluded.token,
                                pid = excluded.pid, expires_at = excluded.expires_at
RETURNING h.key, h.token::text AS token, ${epochMs('h.expires_at')} AS ms`,
      params: [text, text, float8, int8],
      rows: 'atMostOne',
      columns: { key: text, token: int8, ms: float8 },
    }),
    remaining: statement({
      name: 'advisoryRemaining',
      text: `SELECT ${remainingMs('h.expires_at')} AS ms FROM ${advisory} h
 WHERE h.key = $1::text AND ${sessionHolds('h.pid', 'hashtextextended($1::text, $2::bigint)')}`,
      params: [text, int8],
      rows: 'atMostOne',
      columns: { ms: float8 },
    }),
    extend: statement({
      name: 'advisoryExtend',
      text: `UPDATE ${advisory} h
   SET expires_at = clock_timestamp() + r.ttl_ms * interval '1 millisecond'
  FROM unnest($1::text[], $2::text[], $3::float8[]) AS r(key, owner, ttl_ms)
 WHERE h.key = r.key AND h.owner = r.owner AND h.pid = pg_backend_pid()
RETURNING h.key, h.owner, ${epochMs('h.expires_at')} AS ms`,
      params: [textArray, textArray, float8Array],
      rows: 'any',
      columns: { key: text, owner: text, ms: float8 },
    }),
    release: statement({
      name: 'advisoryRelease',
      // The row stays (a later holder overwrites it, the sweep deletes it): it names no holder
      // once its session no longer holds the lock, and an unlock that writes nothing is cheaper.
      text: `SELECT r.key, pg_advisory_unlock(hashtextextended(r.key, $2::bigint)) AS released,
       pg_notify($3::text, md5(r.key))
  FROM unnest($1::text[]) AS r(key)`,
      params: [textArray, int8, text],
      rows: 'any',
      columns: { key: text, released: bool },
    }),
    releaseOne: statement({
      name: 'advisoryReleaseOne',
      text: `SELECT $1::text AS key, pg_advisory_unlock(hashtextextended($1::text, $2::bigint)) AS released,
       pg_notify($3::text, md5($1::text))`,
      params: [text, int8, text],
      rows: 'one',
      columns: { key: text, released: bool },
    }),
    inspect: statement({
      name: 'advisoryInspect',
      text: `SELECT h.owner, h.token::text AS token, ${epochMs('h.expires_at')} AS ms
  FROM ${advisory} h
 WHERE h.key = $1::text AND ${sessionHolds('h.pid', 'hashtextextended($1::text, $2::bigint)')}`,
      params: [text, int8],
      rows: 'atMostOne',
      columns: { owner: text, token: int8, ms: float8 },
    }),
    sweep: statement({
      name: 'advisorySweep',
      text: `WITH stale AS (
  SELECT h.key, h.pid FROM ${advisory} h
   WHERE NOT ${sessionHolds('h.pid', 'hashtextextended(h.key, $1::bigint)')}
   LIMIT ${SWEEP_BATCH}
), gone AS (
  -- The pid again: a row taken over meanwhile by a live session is that session's.
  DELETE FROM ${advisory} h USING stale WHERE h.key = stale.key AND h.pid = stale.pid
  RETURNING 1
)
SELECT count(*)::int4 AS swept FROM gone`,
      params: [int8],
      rows: 'one',
      columns: { swept: int4 },
    }),
  };
}
