import type { LeaseTableNames } from './postgres-names.js';
import {
  after,
  epochMs,
  HELD_AS_SEMAPHORE,
  lockLeaseRow,
  READERS_OWNER,
  remainingMs,
  SEMAPHORE_OWNER,
} from './postgres-sql-fragments.js';

/**
 * The PL/pgSQL function that takes a read or write hold of a read-write key, or (on a miss) the
 * caller's ticket in the key's queue; see `postgres-read-write.sql.ts` for the tables. It locks the
 * key's lease row first (after the permit slots of a key still marked as a semaphore's), so every
 * read hold, ticket and the write hold of a key change under that one lock, and a write hold is
 * written exactly as a plain acquire writes one.
 *
 * Parameters: key, owner, ttl ms, mode ('read' or 'write'), fair, ticket ttl ms, join. Answers
 * `(out_token, out_ms)`: a token = granted, ms its expiry (epoch ms); no token = a miss, ms the
 * remaining ttl of the holds that block it (NULL when only tickets ahead block it).
 */
export function readWriteAcquireFunction(names: LeaseTableNames): string {
  const { table, readers, rwQueue, permits, fence } = names;
  // A key marked as a semaphore's may be taken once no permit of it lives (its marker lingers
  // after the last release). The semaphore's functions lock a slot, then the lease row, and grant
  // a permit without locking a marker that outlasts it, so before the row: fill the key's missing
  // slot numbers up to one past the highest (an acquire that makes slots then waits on the unique
  // index for this call) and lock every slot (an acquire then finds none free, one in flight is
  // waited for). A marker that became a semaphore's after this peek is refused as held.
  const lockPermitSlots = `IF EXISTS (SELECT FROM ${table} l WHERE l.key = p_key
       AND l.owner = '${SEMAPHORE_OWNER}' AND l.expires_at > clock_timestamp()) THEN
    INSERT INTO ${permits} (key, slot, owner, token, expires_at)
    SELECT p_key, s, NULL, 0, clock_timestamp()
      FROM generate_series(0, coalesce((SELECT max(p.slot) FROM ${permits} p WHERE p.key = p_key), -1) + 1) AS s
    ON CONFLICT (key, slot) DO NOTHING;
    PERFORM FROM ${permits} p WHERE p.key = p_key ORDER BY p.slot FOR UPDATE;
    t_slots_locked := true;
  END IF;`;
  const leaveQueue = `DELETE FROM ${rwQueue} WHERE key = p_key AND owner = p_owner;`;
  // Enqueues p_owner at the tail, or keeps its place while its ticket lives; an expired ticket is
  // a dead waiter's and goes to the tail again.
  const joinQueue = `UPDATE ${rwQueue} SET mode = p_mode, expires_at = ${after('t_now', 'p_ticket_ttl_ms')}
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now;
    IF NOT FOUND THEN
      INSERT INTO ${rwQueue} (key, owner, seq, mode, expires_at)
      VALUES (p_key, p_owner, nextval('${fence}'), p_mode, ${after('t_now', 'p_ticket_ttl_ms')})
      ON CONFLICT (key, owner) DO UPDATE
        SET seq = excluded.seq, mode = excluded.mode, expires_at = excluded.expires_at;
    END IF;`;
  // Drops dead tickets, then reads the caller's place into t_seq (NULL: at the tail, behind all).
  const findPlace = `DELETE FROM ${rwQueue} WHERE key = p_key AND expires_at <= t_now;
      SELECT q.seq INTO t_seq FROM ${rwQueue} q WHERE q.key = p_key AND q.owner = p_owner;`;
  // A live ticket of another owner ahead of the caller's place, of a mode that `blocks`.
  const ticketAhead = (blocks: string): string => `EXISTS (SELECT FROM ${rwQueue} q
       WHERE q.key = p_key AND q.owner <> p_owner AND (t_seq IS NULL OR q.seq < t_seq)
         AND (${blocks}))`;
  const granted = `${leaveQueue}
      out_token := t_token;
      out_ms := ${epochMs('t_expires')};
      RETURN;`;

  return `CREATE OR REPLACE FUNCTION ${names.rwAcquire}(
  p_key text, p_owner text, p_ttl_ms float8, p_mode text, p_fair boolean,
  p_ticket_ttl_ms float8, p_join boolean, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz;
  t_live boolean;
  t_seq bigint;
  t_token bigint;
  t_expires timestamptz;
  t_slots_locked boolean := false;
BEGIN
  ${lockPermitSlots}
  ${lockLeaseRow(names, 'p_key', 'cur')}
  t_now := clock_timestamp();
  t_expires := ${after('t_now', 'p_ttl_ms')};
  -- A live lease on the row: a write hold (any other owner) or the readers' marker.
  t_live := cur.owner IS NOT NULL AND cur.expires_at > t_now;
  IF t_live AND cur.owner = '${SEMAPHORE_OWNER}' THEN
    IF NOT t_slots_locked OR EXISTS (SELECT FROM ${permits} p WHERE p.key = p_key
        AND p.owner IS NOT NULL AND p.expires_at > t_now) THEN
      RAISE EXCEPTION ${HELD_AS_SEMAPHORE}, p_key;
    END IF;
    -- Every permit is over: the marker is free to take.
    t_live := false;
  END IF;
  IF p_mode = 'write' THEN
    IF t_live AND cur.owner = p_owner THEN
      -- Already holding: refresh, same token.
      UPDATE ${table} SET expires_at = t_expires WHERE key = p_key;
      t_token := cur.token;
      ${granted}
    END IF;
    IF t_live AND (cur.owner <> '${READERS_OWNER}' OR EXISTS (
        SELECT FROM ${readers} r WHERE r.key = p_key AND r.expires_at > t_now)) THEN
      out_ms := ${remainingMs('cur.expires_at')};
    ELSE
      ${findPlace}
      IF NOT ${ticketAhead("p_fair OR q.mode = 'read'")} THEN
        t_token := greatest(cur.token + 1, nextval('${fence}'));
        UPDATE ${table} SET owner = p_owner, token = t_token, expires_at = t_expires
         WHERE key = p_key;
        -- Every read hold of the key is over: their rows go.
        DELETE FROM ${readers} WHERE key = p_key;
        ${granted}
      END IF;
    END IF;
  ELSE
    UPDATE ${readers} SET expires_at = t_expires
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now
    RETURNING token INTO t_token;
    IF FOUND THEN
      -- Already holding: refresh, same token; the marker follows the latest read hold.
      UPDATE ${table} SET expires_at = (SELECT max(r.expires_at) FROM ${readers} r
                                         WHERE r.key = p_key AND r.expires_at > t_now)
       WHERE key = p_key;
      ${granted}
    END IF;
    IF t_live AND cur.owner <> '${READERS_OWNER}' THEN
      out_ms := ${remainingMs('cur.expires_at')};
    ELSE
      ${findPlace}
      IF NOT ${ticketAhead("q.mode = 'write'")} THEN
        t_token := greatest(cur.token + 1, nextval('${fence}'));
        INSERT INTO ${readers} (key, owner, token, expires_at)
        VALUES (p_key, p_owner, t_token, t_expires)
        ON CONFLICT (key, owner) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at;
        UPDATE ${table}
           SET owner = '${READERS_OWNER}', token = t_token,
               expires_at = CASE WHEN t_live THEN greatest(cur.expires_at, t_expires) ELSE t_expires END
         WHERE key = p_key;
        ${granted}
      END IF;
      -- A writer waits ahead: for the read holds, when there are any.
      IF t_live THEN
        out_ms := ${remainingMs('cur.expires_at')};
      END IF;
    END IF;
  END IF;
  IF p_join THEN
    ${joinQueue}
  ELSE
    ${leaveQueue}
  END IF;
END
$fn$;
`;
}
