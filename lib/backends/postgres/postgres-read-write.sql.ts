import type { ExtendedRow } from './postgres.sql.js';
import { type LeaseRow, leaseColumns } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import { readWriteAcquireFunction } from './postgres-read-write-acquire.sql.js';
import { after, epochMs, READERS_OWNER } from './postgres-sql-fragments.js';
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

/**
 * Read-write locks. The write hold is the key's lease row, written as a plain acquire writes it.
 * Read holds are rows of the readers table (key, owner, token, expiry), and while any lives the
 * key's lease row is their marker: owner `READERS_OWNER`, the last token granted, and the latest
 * expiry of the read holds, so plain, fair and multi-key acquires miss on it as on any live lease.
 * The last read release frees the marker at once. Waiters hold tickets in a queue of their own
 * (key, owner, seq from the fence sequence, mode, expiry). Every function locks the key's lease
 * row first, then the key's read holds and tickets: every change to a key happens under that lock.
 */
export interface ReadWriteSql {
  /** The readers and queue tables, the queue's index and the functions. */
  readonly ddl: string;
  /**
   * $1 key, $2 owner, $3 ttl ms, $4 mode, $5 fair, $6 ticket ttl ms, $7 join. One row
   * `(token, ms)`: token set = a hold, ms its expiry (epoch ms); token NULL = a miss, ms the
   * remaining ttl of the holds that block it (NULL when unknown).
   */
  readonly acquire: Statement<
    readonly [
      key: string,
      owner: string,
      ttlMs: number,
      mode: string,
      fair: boolean,
      ticketTtlMs: number,
      join: boolean,
    ],
    LeaseRow
  >;
  /** $1 keys, $2 owners, $3 ttls ms. One row `(key, owner, ms)` per read hold extended. */
  readonly extend: Statement<
    readonly [keys: readonly string[], owners: readonly string[], ttlsMs: readonly number[]],
    ExtendedRow
  >;
  /**
   * $1 key, $2 owner, $3 channel. Ends the owner's write or read hold and drops its ticket,
   * announcing it (payload md5(key)) when that may let a waiter in; one row `(released)`, true
   * when a hold ended. Committed without waiting for the WAL flush, as a mutex's release.
   */
  readonly release: Statement<
    readonly [key: string, owner: string, channel: string],
    { readonly released: boolean }
  >;
  /** $1 key. One row `(owner, token, ms, holders)` for the last live reader, none when none. */
  readonly inspect: Statement<
    readonly [key: string],
    {
      readonly owner: string;
      readonly token: string;
      readonly ms: number;
      readonly holders: number;
    }
  >;
}

/** Builds the SQL of read-write locks on the lease table `names`. */
export function readWriteSql(names: LeaseTableNames): ReadWriteSql {
  const { table, readers, rwQueue } = names;

  const ddl = `CREATE TABLE IF NOT EXISTS ${readers} (
  key text NOT NULL,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE TABLE IF NOT EXISTS ${rwQueue} (
  key text NOT NULL,
  owner text NOT NULL,
  seq bigint NOT NULL,
  mode text NOT NULL CHECK (mode IN ('read', 'write')),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE INDEX IF NOT EXISTS ${names.rwQueueOrder} ON ${rwQueue} (key, seq);
${readWriteAcquireFunction(names)}CREATE OR REPLACE FUNCTION ${names.rwExtend}(
  p_keys text[], p_owners text[], p_ttls_ms float8[]
) RETURNS TABLE (out_key text, out_owner text, out_ms float8) LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  r record;
  t_latest timestamptz;
BEGIN
  -- Key by key in key order, as every statement of the backend locks lease rows. A live read
  -- hold implies a live marker, so a key whose row is no live marker has none to extend.
  FOR k IN SELECT DISTINCT x FROM unnest(p_keys) AS x ORDER BY x LOOP
    PERFORM FROM ${table} l
     WHERE l.key = k AND l.owner = '${READERS_OWNER}' AND l.expires_at > clock_timestamp()
       FOR UPDATE;
    CONTINUE WHEN NOT FOUND;
    t_latest := NULL;
    FOR r IN
      UPDATE ${readers} AS h SET expires_at = ${after('clock_timestamp()', 'req.ttl_ms')}
        FROM unnest(p_keys, p_owners, p_ttls_ms) AS req(key, owner, ttl_ms)
       WHERE req.key = k AND h.key = k AND h.owner = req.owner
         AND h.expires_at > clock_timestamp()
      RETURNING h.owner, h.expires_at
    LOOP
      t_latest := greatest(t_latest, r.expires_at);
      out_key := k;
      out_owner := r.owner;
      out_ms := ${epochMs('r.expires_at')};
      RETURN NEXT;
    END LOOP;
    IF t_latest IS NOT NULL THEN
      UPDATE ${table} SET expires_at = greatest(expires_at, t_latest) WHERE key = k;
    END IF;
  END LOOP;
END
$fn$;
CREATE OR REPLACE FUNCTION ${names.rwRelease}(
  p_key text, p_owner text, p_channel text, OUT out_released boolean
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz;
  t_wake boolean := false;
  t_latest timestamptz;
BEGIN
  SELECT l.owner, l.expires_at INTO cur FROM ${table} l WHERE l.key = p_key FOR UPDATE;
  t_now := clock_timestamp();
  out_released := false;
  IF cur.owner = p_owner AND cur.expires_at > t_now THEN
    -- The write hold.
    UPDATE ${table} SET owner = NULL, expires_at = t_now WHERE key = p_key;
    out_released := true;
    t_wake := true;
  ELSIF cur.owner = '${READERS_OWNER}' AND cur.expires_at > t_now THEN
    DELETE FROM ${readers} WHERE key = p_key AND owner = p_owner
    RETURNING expires_at > t_now INTO out_released;
    out_released := coalesce(out_released, false);
    IF out_released THEN
      SELECT max(r.expires_at) INTO t_latest FROM ${readers} r
       WHERE r.key = p_key AND r.expires_at > t_now;
      IF t_latest IS NULL THEN
        -- The last read hold: the key is free at once.
        UPDATE ${table} SET owner = NULL, expires_at = t_now WHERE key = p_key;
        t_wake := true;
      ELSE
        UPDATE ${table} SET expires_at = t_latest WHERE key = p_key;
      END IF;
    END IF;
  END IF;
  DELETE FROM ${rwQueue} WHERE key = p_key AND owner = p_owner;
  IF FOUND THEN
    t_wake := true;
  END IF;
  IF t_wake THEN
    PERFORM pg_notify(p_channel, md5(p_key));
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
END
$fn$;
`;

  return {
    ddl,
    acquire: statement({
      name: 'rwAcquire',
      text: `SELECT out_token::text AS token, out_ms AS ms
  FROM ${names.rwAcquire}($1::text, $2::text, $3::float8, $4::text, $5::boolean, $6::float8, $7::boolean)`,
      params: [text, text, float8, text, bool, float8, bool],
      rows: 'one',
      columns: leaseColumns,
    }),
    extend: statement({
      name: 'rwExtend',
      text: `SELECT out_key AS key, out_owner AS owner, out_ms AS ms
  FROM ${names.rwExtend}($1::text[], $2::text[], $3::float8[])`,
      params: [textArray, textArray, float8Array],
      rows: 'any',
      columns: { key: text, owner: text, ms: float8 },
    }),
    release: statement({
      name: 'rwRelease',
      text: `SELECT out_released AS released FROM ${names.rwRelease}($1::text, $2::text, $3::text)`,
      params: [text, text, text],
      rows: 'one',
      columns: { released: bool },
    }),
    // Ordered by the column h.token (a bigint): a bare `token` would name the text alias.
    inspect: statement({
      name: 'rwInspect',
      text: `SELECT h.owner, h.token::text AS token, ${epochMs('h.expires_at')} AS ms,
       (count(*) OVER ())::int AS holders
  FROM ${readers} h
 WHERE h.key = $1::text AND h.expires_at > clock_timestamp()
 ORDER BY h.token DESC LIMIT 1`,
      params: [text],
      rows: 'atMostOne',
      columns: { owner: text, token: int8, ms: float8, holders: int4 },
    }),
  };
}
