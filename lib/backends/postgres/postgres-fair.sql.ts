import { type LeaseRow, leaseColumns } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import {
  after,
  epochMs,
  HELD_AS_SEMAPHORE,
  handoffPayload,
  lockLeaseRow,
  remainingMs,
  SEMAPHORE_OWNER,
} from './postgres-sql-fragments.js';
import { bool, float8, type Statement, statement, text } from './postgres-statement.js';

/**
 * Fair leases: the lease row is the same as a mutex's; waiters queue in a table of tickets, one per
 * (key, owner), ordered by a number drawn from the fence sequence when the ticket was taken. A
 * ticket lives `ticketTtlMs` past its owner's last attempt and carries the ttl the owner asked for,
 * so a release can hand the lease straight to the head of the queue. Both functions lock the key's
 * lease row first, so every change to a key's queue happens under that one lock.
 */
export interface FairSql {
  /** The queue table, its index and both functions. */
  readonly ddl: string;
  /**
   * $1 key, $2 owner, $3 ttl ms, $4 ticket ttl ms, $5 join, $6 channel. One row `(token, ms)`:
   * token set = acquired, ms the expiry (epoch ms); token NULL = a miss, ms the remaining ttl of the
   * holder (or of the lease just handed to the head of the queue).
   */
  readonly acquire: Statement<
    readonly [
      key: string,
      owner: string,
      ttlMs: number,
      ticketTtlMs: number,
      join: boolean,
      channel: string,
    ],
    LeaseRow
  >;
  /** $1 key, $2 owner, $3 channel. One row `(released)`. */
  readonly release: Statement<
    readonly [key: string, owner: string, channel: string],
    { readonly released: boolean }
  >;
}

/** Builds the SQL of fair leases on the lease table `names`. */
export function fairSql(names: LeaseTableNames): FairSql {
  const { table, queue, fence } = names;

  // Enqueues p_owner at the tail, or keeps its place while its ticket lives; an expired ticket is
  // a dead waiter's and goes to the tail again.
  const joinQueue = `UPDATE ${queue} SET ttl_ms = p_ttl_ms, expires_at = ${after('t_now', 'p_ticket_ttl_ms')}
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now;
    IF NOT FOUND THEN
      INSERT INTO ${queue} (key, owner, seq, ttl_ms, expires_at)
      VALUES (p_key, p_owner, nextval('${fence}'), p_ttl_ms, ${after('t_now', 'p_ticket_ttl_ms')})
      ON CONFLICT (key, owner) DO UPDATE
        SET seq = excluded.seq, ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at;
    END IF;`;
  const leaveQueue = `DELETE FROM ${queue} WHERE key = p_key AND owner = p_owner;`;
  // Drops dead tickets, then reads the head of the queue into "head" (NULL owner when empty).
  const findHead = `DELETE FROM ${queue} WHERE key = p_key AND expires_at <= t_now;
    SELECT q.owner, q.ttl_ms INTO head FROM ${queue} q WHERE q.key = p_key ORDER BY q.seq LIMIT 1;`;
  // Gives the (free) lease to the head of the queue and announces it to the key's waiters.
  const handOff = `t_token := greatest(cur.token + 1, nextval('${fence}'));
      t_expires := ${after('t_now', 'head.ttl_ms')};
      UPDATE ${table} SET owner = head.owner, token = t_token, expires_at = t_expires
       WHERE key = p_key;
      DELETE FROM ${queue} WHERE key = p_key AND owner = head.owner;
      PERFORM pg_notify(p_channel, ${handoffPayload('p_key', 't_token', 't_expires', 'head.owner')});`;

  const ddl = `CREATE TABLE IF NOT EXISTS ${queue} (
  key text NOT NULL,
  owner text NOT NULL,
  seq bigint NOT NULL,
  ttl_ms float8 NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE INDEX IF NOT EXISTS ${names.queueOrder} ON ${queue} (key, seq);
CREATE OR REPLACE FUNCTION ${names.fairAcquire}(
  p_key text, p_owner text, p_ttl_ms float8, p_ticket_ttl_ms float8, p_join boolean,
  p_channel text, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  head record;
  t_now timestamptz;
  t_token bigint;
  t_expires timestamptz;
BEGIN
  ${lockLeaseRow(names, 'p_key', 'cur')}
  t_now := clock_timestamp();
  IF cur.owner IS NOT NULL AND cur.expires_at > t_now THEN
    IF cur.owner = '${SEMAPHORE_OWNER}' THEN
      RAISE EXCEPTION ${HELD_AS_SEMAPHORE}, p_key;
    END IF;
    IF cur.owner = p_owner THEN
      -- Already held (also when it was handed this lease): refresh, same token.
      t_expires := ${after('t_now', 'p_ttl_ms')};
      UPDATE ${table} SET expires_at = t_expires WHERE key = p_key;
      ${leaveQueue}
      out_token := cur.token;
      out_ms := ${epochMs('t_expires')};
      RETURN;
    END IF;
    IF p_join THEN
      ${joinQueue}
    ELSE
      ${leaveQueue}
    END IF;
    out_ms := ${remainingMs('cur.expires_at')};
    RETURN;
  END IF;
  ${findHead}
  IF head.owner IS NULL OR head.owner = p_owner THEN
    t_token := greatest(cur.token + 1, nextval('${fence}'));
    t_expires := ${after('t_now', 'p_ttl_ms')};
    UPDATE ${table} SET owner = p_owner, token = t_token, expires_at = t_expires WHERE key = p_key;
    ${leaveQueue}
    out_token := t_token;
    out_ms := ${epochMs('t_expires')};
    RETURN;
  END IF;
  -- Free, but someone queued first: the lease is theirs, not this caller's.
  ${handOff}
  IF p_join THEN
    ${joinQueue}
  ELSE
    ${leaveQueue}
  END IF;
  out_ms := head.ttl_ms;
END
$fn$;
CREATE OR REPLACE FUNCTION ${names.fairRelease}(
  p_key text, p_owner text, p_channel text, OUT out_released boolean
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  head record;
  t_now timestamptz;
  t_token bigint;
  t_expires timestamptz;
BEGIN
  out_released := false;
  ${lockLeaseRow(
    names,
    'p_key',
    'cur',
    `
    -- No lease row: nothing to release, and nobody to hand to unless someone queued.
    IF NOT EXISTS (SELECT FROM ${queue} WHERE key = p_key) THEN
      RETURN;
    END IF;`,
  )}
  t_now := clock_timestamp();
  out_released := cur.owner IS NOT DISTINCT FROM p_owner AND cur.expires_at > t_now;
  ${leaveQueue}
  IF out_released OR cur.owner IS NULL OR cur.expires_at <= t_now THEN
    ${findHead}
    IF head.owner IS NOT NULL THEN
      ${handOff}
      RETURN;
    END IF;
  END IF;
  IF out_released THEN
    UPDATE ${table} SET owner = NULL, expires_at = t_now WHERE key = p_key;
    PERFORM pg_notify(p_channel, md5(p_key));
  END IF;
END
$fn$;
`;

  return {
    ddl,
    acquire: statement({
      name: 'fairAcquire',
      text: `SELECT out_token::text AS token, out_ms AS ms
  FROM ${names.fairAcquire}($1::text, $2::text, $3::float8, $4::float8, $5::boolean, $6::text)`,
      params: [text, text, float8, float8, bool, text],
      rows: 'one',
      columns: leaseColumns,
    }),
    release: statement({
      name: 'fairRelease',
      text: `SELECT out_released AS released FROM ${names.fairRelease}($1::text, $2::text, $3::text)`,
      params: [text, text, text],
      rows: 'one',
      columns: { released: bool },
    }),
  };
}
