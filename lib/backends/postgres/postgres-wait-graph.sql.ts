import type { LeaseTableNames } from './postgres-names.js';
import { after, epochMs, READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import { float8, int4, type Statement, statement, text, textArray } from './postgres-statement.js';

/** A search stops listing after this many cycles, and after following this many edges. */
export const MAX_CYCLES = 32;
export const MAX_EDGES = 10_000;

/** One member of a cycle, as `publish` answers it: one row per member, cycle by cycle. */
export interface CycleMemberRow {
  /** The cycle's number, from 1, in the order the search found them. */
  readonly cycle: number;
  readonly id: string;
  readonly keys: readonly string[];
  /** Epoch ms of the store's clock. */
  readonly since: number;
}

/**
 * The waits-for graph. Each wait is a row of the waits table (id, the owner tokens its chain
 * holds, the keys it waits for, since, expiry), found by its holds through a GIN index. An edge
 * runs from a wait to each live wait whose `holds` meet the owners of a key it waits for: the
 * key's lease row owner (plain, fair, multi-key or write hold; never the semaphore or readers
 * marker, so a semaphore is no edge) and the owners of the key's live read holds.
 *
 * `<table>_wait_cycles` walks that graph depth-first from a record, as the memory backend does,
 * with the same bounds: at most `p_max_length` waits per cycle, {@link MAX_CYCLES} cycles and
 * {@link MAX_EDGES} edges followed. It is STABLE, so every query it runs reads the snapshot of the
 * statement that calls it: the whole search sees one instant of the store. It takes the record
 * from its arguments (the statement's own upsert is not visible to it) and skips the record's
 * previous row.
 */
export interface WaitGraphSql {
  /** The waits table, its index of holds and the search function. */
  readonly ddl: string;
  /**
   * $1 id, $2 holds, $3 keys, $4 ttl ms, $5 max length. Upserts the record (keeping `since`) and
   * answers one row per member of each cycle through it, the record first in each.
   */
  readonly publish: Statement<
    readonly [
      id: string,
      holds: readonly string[],
      keys: readonly string[],
      ttlMs: number,
      maxLength: number,
    ],
    CycleMemberRow
  >;
  /** $1 id. Deletes the wait. */
  readonly withdraw: Statement<readonly [id: string], unknown>;
}

/** Builds the SQL of the waits-for graph beside the lease table `names`. */
export function waitGraphSql(names: LeaseTableNames): WaitGraphSql {
  const { table, readers, waits } = names;

  const ddl = `CREATE TABLE IF NOT EXISTS ${waits} (
  id text PRIMARY KEY,
  holds text[] NOT NULL,
  keys text[] NOT NULL,
  since timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${names.waitsHolds} ON ${waits} USING gin (holds);
CREATE OR REPLACE FUNCTION ${names.waitCycles}(
  p_id text, p_holds text[], p_keys text[], p_since timestamptz, p_now timestamptz,
  p_max_length int
) RETURNS TABLE (out_cycle int, out_position int, out_id text, out_keys text[], out_since float8)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  -- The path from the record (which is not in it) to the wait being expanded, and the stack of
  -- waits still to try, each with the path length it extends.
  t_path text[] := ARRAY[]::text[];
  t_stack text[] := ARRAY[]::text[];
  t_depths int[] := ARRAY[]::int[];
  t_keys text[] := p_keys;
  t_depth int := 0;
  t_top int;
  t_closes boolean;
  t_next text[];
  t_edges int := 0;
  t_cycles int := 0;
BEGIN
  IF p_max_length < 1 THEN
    RETURN;
  END IF;
  LOOP
    -- The owners of the leases on the keys the current wait waits for: do they include the
    -- record's holds (a cycle), and which other waits hold them (the next steps)?
    WITH owners AS (
      SELECT l.owner FROM ${table} l
       WHERE l.key = ANY (t_keys) AND l.expires_at > p_now
         AND l.owner NOT IN ('${SEMAPHORE_OWNER}', '${READERS_OWNER}')
      UNION
      SELECT r.owner FROM ${readers} r
       WHERE r.key = ANY (t_keys) AND r.expires_at > p_now
    )
    SELECT coalesce(bool_or(o.owner = ANY (p_holds)), false),
           (SELECT coalesce(array_agg(w.id ORDER BY w.since DESC, w.id DESC), ARRAY[]::text[])
              FROM ${waits} w
             WHERE w.holds && (SELECT array_agg(owner) FROM owners)
               AND w.expires_at > p_now AND w.id <> p_id AND w.id <> ALL (t_path))
      INTO t_closes, t_next
      FROM owners o;
    IF t_closes THEN
      t_cycles := t_cycles + 1;
      out_cycle := t_cycles;
      out_position := 0;
      out_id := p_id;
      out_keys := p_keys;
      out_since := ${epochMs('p_since')};
      RETURN NEXT;
      RETURN QUERY
        SELECT t_cycles, p.pos::int, w.id, w.keys, ${epochMs('w.since')}
          FROM unnest(t_path) WITH ORDINALITY AS p(id, pos)
          JOIN ${waits} w ON w.id = p.id
         ORDER BY p.pos;
      EXIT WHEN t_cycles >= ${MAX_CYCLES};
    END IF;
    -- A wait one step further makes cycles of t_depth + 2 waits.
    IF t_depth + 2 <= p_max_length AND cardinality(t_next) > 0 THEN
      t_edges := t_edges + cardinality(t_next);
      EXIT WHEN t_edges > ${MAX_EDGES};
      -- Pushed latest first, so the earliest wait is tried first.
      t_stack := t_stack || t_next;
      t_depths := t_depths || array_fill(t_depth + 1, ARRAY[cardinality(t_next)]);
    END IF;
    t_top := cardinality(t_stack);
    EXIT WHEN t_top = 0;
    t_depth := t_depths[t_top];
    -- Pushed while the path was t_path[1:t_depth - 1], so not on it.
    t_path := t_path[1:t_depth - 1] || t_stack[t_top];
    t_stack := t_stack[1:t_top - 1];
    t_depths := t_depths[1:t_top - 1];
    SELECT w.keys INTO t_keys FROM ${waits} w WHERE w.id = t_path[t_depth];
  END LOOP;
END
$fn$;
`;

  return {
    ddl,
    // `now` is one instant for the record's expiry and the search (and the new since, `excluded.since`).
    // A refresh of a live record keeps its since; an expired one is gone, so it starts anew.
    publish: statement({
      name: 'waitsPublish',
      text: `WITH t AS (SELECT clock_timestamp() AS now),
upserted AS (
  INSERT INTO ${waits} AS w (id, holds, keys, since, expires_at)
  SELECT $1::text, $2::text[], $3::text[], t.now, ${after('t.now', '$4::float8')} FROM t
  ON CONFLICT (id) DO UPDATE
    SET holds = excluded.holds, keys = excluded.keys, expires_at = excluded.expires_at,
        since = CASE WHEN w.expires_at > excluded.since THEN w.since ELSE excluded.since END
  RETURNING w.since
)
SELECT c.out_cycle AS cycle, c.out_id AS id, c.out_keys AS keys, c.out_since AS since
  FROM upserted, t,
       ${names.waitCycles}($1::text, $2::text[], $3::text[], upserted.since, t.now, $5::int) c
 ORDER BY c.out_cycle, c.out_position`,
      params: [text, textArray, textArray, float8, int4],
      rows: 'any',
      columns: { cycle: int4, id: text, keys: textArray, since: float8 },
    }),
    withdraw: statement({
      name: 'waitsWithdraw',
      text: `DELETE FROM ${waits} WHERE id = $1::text`,
      params: [text],
      rows: 'any',
      columns: {},
    }),
  };
}
