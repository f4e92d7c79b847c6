import type { ExtendedRow } from './postgres.sql.js';
import { type LeaseRow, leaseColumns } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import {
  after,
  epochMs,
  HELD_AS_MUTEX,
  lockLeaseRow,
  remainingMs,
  SEMAPHORE_OWNER,
} from './postgres-sql-fragments.js';
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
 * Semaphores: `permits` slot rows per key in the permits table, each free or held (owner, token,
 * expiry). An acquire takes a free slot with `FOR UPDATE SKIP LOCKED`, so concurrent acquirers of
 * one key take different slots side by side instead of queueing on one row lock, and a key can
 * never have more holders than slots.
 *
 * The key's lease row is the semaphore's marker: owner `SEMAPHORE_OWNER`, expiring no earlier than
 * any permit of the key. That keeps mutex, fair and multi-key leases off a semaphore key (and a
 * semaphore off a held mutex key) while permits are held. A grant moves the marker's expiry ahead
 * only when the permit would outlast it, and then by twice the permit's ttl, so most grants never
 * write (or wait for) the marker. A release does not touch it: after the last release the key stays
 * a semaphore key until the marker runs out. Locks are always taken slot first, then marker.
 *
 * Fencing tokens come from the fence sequence, never below the marker's token + 1, so they rise
 * across all holders and across a key's switch from mutex to semaphore.
 */
export interface SemaphoreSql {
  /** The permits table and the functions. */
  readonly ddl: string;
  /**
   * $1 key, $2 owner, $3 ttl ms, $4 permits. One row `(token, ms)`: token set = a permit, ms its
   * expiry (epoch ms); token NULL = all permits held, ms the earliest-expiring holder's remaining
   * ttl (NULL when the free slots were all being taken at that moment).
   */
  readonly acquire: Statement<
    readonly [key: string, owner: string, ttlMs: number, permits: number],
    LeaseRow
  >;
  /** $1 keys, $2 owners, $3 ttls ms. One row `(key, owner, ms)` per permit extended. */
  readonly extend: Statement<
    readonly [keys: readonly string[], owners: readonly string[], ttlsMs: readonly number[]],
    ExtendedRow
  >;
  /**
   * $1 key, $2 owner, $3 channel. Frees the owner's live permit and announces it (payload
   * md5(key)); one row `(released)`. Committed without waiting for the WAL flush, as a mutex's.
   */
  readonly release: Statement<
    readonly [key: string, owner: string, channel: string],
    { readonly released: boolean }
  >;
  /** $1 key. One row `(owner, token, ms, holders)` for the last live taker, none when free. */
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

/** Builds the SQL of semaphores on the lease table `names`. */
export function semaphoreSql(names: LeaseTableNames): SemaphoreSql {
  const { table, permits, fence } = names;

  // PL/pgSQL: makes the marker of p_key outlast t_expires (the permit this call grants or
  // extends). Reads it without a lock first: a committed marker that outlasts the permit cannot be
  // taken by a mutex before the permit ends, so only a marker that must move is locked.
  const coverPermit = `SELECT l.owner, l.token, l.expires_at INTO cur FROM ${table} l
     WHERE l.key = p_key;
    IF cur.owner IS DISTINCT FROM '${SEMAPHORE_OWNER}' OR cur.expires_at < t_expires THEN
      ${lockLeaseRow(names, 'p_key', 'cur')}
      IF cur.owner IS NOT NULL AND cur.owner <> '${SEMAPHORE_OWNER}'
         AND cur.expires_at > clock_timestamp() THEN
        RAISE EXCEPTION ${HELD_AS_MUTEX}, p_key;
      END IF;
      IF cur.owner IS DISTINCT FROM '${SEMAPHORE_OWNER}' OR cur.expires_at < t_expires THEN
        UPDATE ${table}
           SET owner = '${SEMAPHORE_OWNER}',
               expires_at = ${after('t_expires', 'p_ttl_ms')}
         WHERE key = p_key;
      END IF;
    END IF;`;

  const ddl = `CREATE TABLE IF NOT EXISTS ${permits} (
  key text NOT NULL,
  slot integer NOT NULL,
  owner text,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, slot)
);
CREATE OR REPLACE FUNCTION ${names.semaphoreAcquire}(
  p_key text, p_owner text, p_ttl_ms float8, p_permits integer,
  OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz := clock_timestamp();
  t_expires timestamptz := ${after('clock_timestamp()', 'p_ttl_ms')};
  t_slot integer;
  t_token bigint;
BEGIN
  -- Already holding a permit: refresh it, same token.
  UPDATE ${permits} SET expires_at = t_expires
   WHERE key = p_key AND owner = p_owner AND expires_at > t_now
  RETURNING token, slot INTO t_token, t_slot;
  IF t_slot IS NULL THEN
    -- The key's slots, made on first use (and again if a sweep took some).
    IF (SELECT count(*) FROM ${permits} WHERE key = p_key AND slot < p_permits) < p_permits THEN
      INSERT INTO ${permits} (key, slot, owner, token, expires_at)
      SELECT p_key, s, NULL, 0, t_now FROM generate_series(0, p_permits - 1) AS s
      ON CONFLICT (key, slot) DO NOTHING;
    END IF;
    SELECT p.slot INTO t_slot FROM ${permits} p
     WHERE p.key = p_key AND p.slot < p_permits
       AND (p.owner IS NULL OR p.expires_at <= clock_timestamp())
     ORDER BY p.slot LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF t_slot IS NULL THEN
      SELECT ${remainingMs('min(p.expires_at)')} INTO out_ms FROM ${permits} p
       WHERE p.key = p_key AND p.slot < p_permits AND p.owner IS NOT NULL
         AND p.expires_at > clock_timestamp();
      RETURN;
    END IF;
  END IF;
  ${coverPermit}
  IF t_token IS NULL THEN
    t_token := greatest(cur.token + 1, nextval('${fence}'));
    UPDATE ${permits} SET owner = p_owner, token = t_token, expires_at = t_expires
     WHERE key = p_key AND slot = t_slot;
  END IF;
  out_token := t_token;
  out_ms := ${epochMs('t_expires')};
END
$fn$;
CREATE OR REPLACE FUNCTION ${names.semaphoreExtend}(
  p_keys text[], p_owners text[], p_ttls_ms float8[]
) RETURNS TABLE (out_key text, out_owner text, out_ms float8) LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  cur record;
  p_key text;
  p_ttl_ms float8;
  t_expires timestamptz;
BEGIN
  -- In key order, as every statement of the backend locks lease rows.
  FOR r IN SELECT * FROM unnest(p_keys, p_owners, p_ttls_ms) AS x(key, owner, ttl_ms) ORDER BY x.key
  LOOP
    p_key := r.key;
    p_ttl_ms := r.ttl_ms;
    t_expires := ${after('clock_timestamp()', 'r.ttl_ms')};
    UPDATE ${permits} SET expires_at = t_expires
     WHERE key = r.key AND owner = r.owner AND expires_at > clock_timestamp();
    IF FOUND THEN
      ${coverPermit}
      out_key := r.key;
      out_owner := r.owner;
      out_ms := ${epochMs('t_expires')};
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
`;

  return {
    ddl,
    acquire: statement({
      name: 'semaphoreAcquire',
      text: `SELECT out_token::text AS token, out_ms AS ms
  FROM ${names.semaphoreAcquire}($1::text, $2::text, $3::float8, $4::integer)`,
      params: [text, text, float8, int4],
      rows: 'one',
      columns: leaseColumns,
    }),
    extend: statement({
      name: 'semaphoreExtend',
      text: `SELECT out_key AS key, out_owner AS owner, out_ms AS ms
  FROM ${names.semaphoreExtend}($1::text[], $2::text[], $3::float8[])`,
      params: [textArray, textArray, float8Array],
      rows: 'any',
      columns: { key: text, owner: text, ms: float8 },
    }),
    release: statement({
      name: 'semaphoreRelease',
      text: `WITH released AS (
  UPDATE ${permits} SET owner = NULL, expires_at = clock_timestamp()
   WHERE key = $1::text AND owner = $2::text AND expires_at > clock_timestamp()
  RETURNING key
)
SELECT pg_notify($3::text, md5(key)), set_config('synchronous_commit', 'off', true),
       true AS released
  FROM released`,
      params: [text, text, text],
      rows: 'atMostOne',
      columns: { released: bool },
    }),
    // Ordered by the column p.token (a bigint): a bare `token` would name the text alias, and
    // '99' sorts above '100'.
    inspect: statement({
      name: 'semaphoreInspect',
      text: `SELECT p.owner, p.token::text AS token, ${epochMs('p.expires_at')} AS ms,
       (count(*) OVER ())::int AS holders
  FROM ${permits} p
 WHERE p.key = $1::text AND p.owner IS NOT NULL AND p.expires_at > clock_timestamp()
 ORDER BY p.token DESC LIMIT 1`,
      params: [text],
      rows: 'atMostOne',
      columns: { owner: text, token: int8, ms: float8, holders: int4 },
    }),
  };
}
