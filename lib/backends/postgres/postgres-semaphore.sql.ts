import type { LeaseTableNames } from './postgres-names.js';
import {
  after,
  epochMs,
  HELD_AS_MUTEX,
  lockLeaseRow,
  remainingMs,
  SEMAPHORE_OWNER,
} from './postgres-sql-fragments.js';

/**
 * Semaphores: one row per permit in the permits table (key, owner, token, expiry), and the key's
 * lease row as its marker and lock: while permits are held it belongs to `SEMAPHORE_OWNER`, with
 * the key's last fencing token and the latest expiry of its permits, so a mutex on the same key
 * stays out and tokens keep rising across holders (and across a key's switch from mutex use). Every
 * function locks the marker row first, so permits of a key are counted under one lock.
 */
export interface SemaphoreSql {
  /** The permits table and the three functions. */
  readonly ddl: string;
  /**
   * $1 key, $2 owner, $3 ttl ms, $4 permits. One row `(token, ms)`: token set = a permit, ms its
   * expiry (epoch ms); token NULL = all permits held, ms the earliest-expiring holder's remaining ttl.
   */
  readonly acquire: string;
  /** $1 keys, $2 owners, $3 ttls ms. One row `(key, owner, ms)` per permit extended. */
  readonly extend: string;
  /** $1 key, $2 owner, $3 channel. One row `(released)`. */
  readonly release: string;
  /** $1 key. One row `(owner, token, ms, holders)` for the last live taker, none when free. */
  readonly inspect: string;
}

/** Builds the SQL of semaphores on the lease table `names`. */
export function semaphoreSql(names: LeaseTableNames): SemaphoreSql {
  const { table, permits, fence } = names;

  // The marker follows the live permits: the latest expiry, or free when none is left.
  const refreshMarker = `UPDATE ${table} AS l
       SET owner = CASE WHEN m.latest IS NULL THEN NULL ELSE '${SEMAPHORE_OWNER}' END,
           expires_at = coalesce(m.latest, clock_timestamp())
      FROM (SELECT max(p.expires_at) AS latest FROM ${permits} p
             WHERE p.key = p_key AND p.expires_at > clock_timestamp()) m
     WHERE l.key = p_key;`;

  const ddl = `CREATE TABLE IF NOT EXISTS ${permits} (
  key text NOT NULL,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE OR REPLACE FUNCTION ${names.semaphoreAcquire}(
  p_key text, p_owner text, p_ttl_ms float8, p_permits integer,
  OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz;
  t_expires timestamptz;
  t_token bigint;
  t_held integer;
  t_earliest timestamptz;
BEGIN
  ${lockLeaseRow(names, 'p_key', 'cur')}
  t_now := clock_timestamp();
  IF cur.owner IS NOT NULL AND cur.owner <> '${SEMAPHORE_OWNER}' AND cur.expires_at > t_now THEN
    RAISE EXCEPTION ${HELD_AS_MUTEX}, p_key;
  END IF;
  t_expires := ${after('t_now', 'p_ttl_ms')};
  DELETE FROM ${permits} WHERE key = p_key AND expires_at <= t_now;
  UPDATE ${permits} SET expires_at = t_expires WHERE key = p_key AND owner = p_owner
  RETURNING token INTO t_token;
  IF t_token IS NULL THEN
    SELECT count(*), min(expires_at) INTO t_held, t_earliest FROM ${permits} WHERE key = p_key;
    IF t_held >= p_permits THEN
      out_ms := ${remainingMs('t_earliest')};
      RETURN;
    END IF;
    t_token := greatest(cur.token + 1, nextval('${fence}'));
    INSERT INTO ${permits} (key, owner, token, expires_at) VALUES (p_key, p_owner, t_token, t_expires);
    UPDATE ${table} SET token = t_token WHERE key = p_key;
  END IF;
  ${refreshMarker}
  out_token := t_token;
  out_ms := ${epochMs('t_expires')};
END
$fn$;
CREATE OR REPLACE FUNCTION ${names.semaphoreExtend}(
  p_keys text[], p_owners text[], p_ttls_ms float8[]
) RETURNS TABLE (out_key text, out_owner text, out_ms float8) LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  t_expires timestamptz;
BEGIN
  -- Marker rows in key order, as every statement of the backend locks them.
  FOR r IN SELECT * FROM unnest(p_keys, p_owners, p_ttls_ms) AS x(key, owner, ttl_ms) ORDER BY x.key
  LOOP
    PERFORM FROM ${table} l WHERE l.key = r.key FOR UPDATE;
    t_expires := ${after('clock_timestamp()', 'r.ttl_ms')};
    UPDATE ${permits} SET expires_at = t_expires
     WHERE key = r.key AND owner = r.owner AND expires_at > clock_timestamp();
    IF FOUND THEN
      UPDATE ${table} SET expires_at = greatest(expires_at, t_expires)
       WHERE key = r.key AND owner = '${SEMAPHORE_OWNER}';
      out_key := r.key;
      out_owner := r.owner;
      out_ms := ${epochMs('t_expires')};
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
CREATE OR REPLACE FUNCTION ${names.semaphoreRelease}(
  p_key text, p_owner text, p_channel text, OUT out_released boolean
) LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM FROM ${table} l WHERE l.key = p_key FOR UPDATE;
  DELETE FROM ${permits}
   WHERE key = p_key AND owner = p_owner AND expires_at > clock_timestamp();
  out_released := FOUND;
  IF out_released THEN
    ${refreshMarker}
    PERFORM pg_notify(p_channel, md5(p_key));
    -- As a mutex's release: one lost in a crash only leaves the permit to run out.
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
END
$fn$;
`;

  return {
    ddl,
    acquire: `SELECT out_token::text AS token, out_ms AS ms
  FROM ${names.semaphoreAcquire}($1::text, $2::text, $3::float8, $4::integer)`,
    extend: `SELECT out_key AS key, out_owner AS owner, out_ms AS ms
  FROM ${names.semaphoreExtend}($1::text[], $2::text[], $3::float8[])`,
    release: `SELECT out_released AS released FROM ${names.semaphoreRelease}($1::text, $2::text, $3::text)`,
    inspect: `SELECT owner, token::text AS token, ${epochMs('expires_at')} AS ms,
       (count(*) OVER ())::int AS holders
  FROM ${permits}
 WHERE key = $1::text AND expires_at > clock_timestamp()
 ORDER BY token DESC LIMIT 1`,
  };
}
