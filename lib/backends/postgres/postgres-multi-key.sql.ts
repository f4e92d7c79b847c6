import { type LeaseRow, leaseColumns } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import {
  after,
  epochMs,
  HELD_AS_SEMAPHORE,
  remainingMs,
  SEMAPHORE_OWNER,
} from './postgres-sql-fragments.js';
import { float8, type Statement, statement, text, textArray } from './postgres-statement.js';

/**
 * Multi-key leases: the same lease rows as a mutex on each key, all with the same owner, token and
 * expiry, so a multi-key lease and a mutex on any of its keys exclude each other. Release is the
 * mutex's `releaseMany` with one owner for every key.
 */
export interface MultiSql {
  /** The acquire function. */
  readonly ddl: string;
  /**
   * $1 keys, $2 owner, $3 ttl ms. One row `(token, ms)`: token set = every key taken, ms the
   * expiry (epoch ms); token NULL = none taken, ms the longest remaining ttl of the busy keys.
   */
  readonly acquire: Statement<
    readonly [keys: readonly string[], owner: string, ttlMs: number],
    LeaseRow
  >;
  /**
   * $1 keys, $2 owner, $3 ttl ms. Extends every key only if the owner still holds all of them: one
   * row `(ms)` per key extended (all with the same expiry), none otherwise.
   */
  readonly extend: Statement<
    readonly [keys: readonly string[], owner: string, ttlMs: number],
    { readonly ms: number }
  >;
}

/** Builds the SQL of multi-key leases on the lease table `names`. */
export function multiSql(names: LeaseTableNames): MultiSql {
  const { table, fence } = names;

  const ddl = `CREATE OR REPLACE FUNCTION ${names.multiAcquire}(
  p_keys text[], p_owner text, p_ttl_ms float8, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  cur record;
  t_created text[] := '{}';
  t_busy_ms float8;
  t_mine boolean := true;
  t_token bigint;
  t_top bigint := 0;
  t_expires timestamptz;
BEGIN
  -- Rows in key order, as every statement of the backend locks them: no deadlock between callers.
  FOR k IN SELECT DISTINCT x FROM unnest(p_keys) AS x ORDER BY x LOOP
    LOOP
      SELECT l.owner, l.token, l.expires_at INTO cur FROM ${table} l WHERE l.key = k FOR UPDATE;
      EXIT WHEN FOUND;
      INSERT INTO ${table} (key, owner, token, expires_at)
      VALUES (k, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
      IF FOUND THEN
        t_created := t_created || k;
      END IF;
    END LOOP;
    t_top := greatest(t_top, cur.token);
    IF cur.owner IS NOT NULL AND cur.expires_at > clock_timestamp() THEN
      IF cur.owner = '${SEMAPHORE_OWNER}' THEN
        RAISE EXCEPTION ${HELD_AS_SEMAPHORE}, k;
      END IF;
      IF cur.owner = p_owner THEN
        -- Held by this owner: the same lease only if every key carries the same token.
        IF t_token IS NULL THEN
          t_token := cur.token;
        ELSIF t_token <> cur.token THEN
          t_mine := false;
        END IF;
      ELSE
        t_busy_ms := greatest(coalesce(t_busy_ms, 0), ${remainingMs('cur.expires_at')});
      END IF;
    ELSE
      t_mine := false;
    END IF;
  END LOOP;
  IF t_busy_ms IS NOT NULL THEN
    -- None taken: the rows this call created go again, so a miss leaves nothing behind.
    DELETE FROM ${table} WHERE key = ANY (t_created);
    out_ms := t_busy_ms;
    RETURN;
  END IF;
  IF NOT t_mine OR t_token IS NULL THEN
    t_token := greatest(t_top + 1, nextval('${fence}'));
  END IF;
  t_expires := ${after('clock_timestamp()', 'p_ttl_ms')};
  UPDATE ${table} SET owner = p_owner, token = t_token, expires_at = t_expires
   WHERE key = ANY (p_keys);
  out_token := t_token;
  out_ms := ${epochMs('t_expires')};
END
$fn$;
`;

  return {
    ddl,
    acquire: statement({
      name: 'multiAcquire',
      text: `SELECT out_token::text AS token, out_ms AS ms
  FROM ${names.multiAcquire}($1::text[], $2::text, $3::float8)`,
      params: [textArray, text, float8],
      rows: 'one',
      columns: leaseColumns,
    }),
    extend: statement({
      name: 'multiExtend',
      text: `WITH held AS (
  SELECT l.key FROM ${table} l
   WHERE l.key = ANY ($1::text[]) AND l.owner = $2::text AND l.expires_at > clock_timestamp()
   ORDER BY l.key FOR UPDATE
), next AS (
  SELECT ${after('clock_timestamp()', '$3::float8')} AS expires_at
)
UPDATE ${table} AS l SET expires_at = next.expires_at
  FROM next
 WHERE l.key IN (SELECT key FROM held)
   AND (SELECT count(*) FROM held) = cardinality($1::text[])
RETURNING ${epochMs('l.expires_at')} AS ms`,
      params: [textArray, text, float8],
      rows: 'any',
      columns: { ms: float8 },
    }),
  };
}
