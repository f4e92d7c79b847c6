import type { LeaseTableNames } from './postgres-names.js';
import { after, epochMs, READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import { float8, int4, type Statement, statement, text, textArray } from './postgres-statement.js';

/**
 * A search stops listing after this many cycles, after following this many edges, and after
 * expanding this many waits. Every wait republishes each second, so the bounds keep the densest
 * graph to about a hundred ms of one database core per publish (each edge costs two index probes,
 * each expansion one query); the memory backend, where an edge costs nothing, follows 10 000.
 */
export const MAX_CYCLES = 32;
export const MAX_EDGES = 2_000;
export const MAX_EXPANDED = 200;

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
 * `<table>_wait_cycles` walks that graph depth-first from a record, as the memory backend does:
 * at most `p_max_length` waits per cycle, {@link MAX_CYCLES} cycles, {@link MAX_EDGES} edges
 * followed and {@link MAX_EXPANDED} waits expanded. Whether a wait closes a cycle (the record's
 * chain holds a key it waits for) is found with the query that finds the wait, so the waits at
 * the last step cost no query. It is STABLE, so every query it runs reads the snapshot of the
 * statement that calls it: the whole search sees one instant of the store. It takes the record
 * from its arguments (the statement's own upsert is not visible to it) and skips the record's
 * previous row.
 */
export interface WaitGraphSql {
  /** The waits table, its index of holds and the search function. */
  readonly ddl: string;
  /**
   * $1 id, $2 holds, $3 keys, $4 ttl ms, $5 max length. Upserts the record (keeping the `since`
   * of a live one) and
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
  // The owners of the live leases on `keys`: the mutex lease (never a marker) and the
  // read holds. A semaphore's permits are no edge.
  const ownersOf = (keys: string): string => `
        SELECT l.owner FROM ${table} l
         WHERE l.key = ANY (${keys}) AND l.expires_at > p_now
           AND l.owner NOT IN ('${SEMAPHORE_OWNER}', '${READERS_OWNER}')
        UNION
        SELECT r.owner FROM ${readers} r
         WHERE r.key = ANY (${keys}) AND r.expires_at > p_now`;
  // Whether one of `owners` holds a live lease on one of `keys`.
  const heldBy = (keys: string, owners: string): string => `(EXISTS (
        SELECT FROM ${table} l
         WHERE l.key = ANY (${keys}) AND l.owner = ANY (${owners}) AND l.expires_at > p_now
           AND l.owner NOT IN ('${SEMAPHORE_OWNER}', '${READERS_OWNER}'))
      OR EXISTS (
        SELECT FROM ${readers} r
         WHERE r.key = ANY (${keys}) AND r.owner = ANY (${owners}) AND r.expires_at > p_now))`;

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
  -- The path from the record (which is not on it) to the wait last taken from the stack, and the
  -- stack of waits still to try: each with the path length it makes and whether it closes a cycle.
  t_path text[] := ARRAY[]::text[];
  t_stack text[] := ARRAY[]::text[];
  t_depths int[] := ARRAY[]::int[];
  t_closing boolean[] := ARRAY[]::boolean[];
  t_keys text[] := p_keys;
  t_depth int := 0;
  t_top int;
  t_next text[];
  t_next_closing boolean[];
  t_expanded int := 0;
  t_edges int := 0;
  t_cycles int := 0;
BEGIN
  IF p_max_length < 1 THEN
    RETURN;
  END IF;
  IF ${heldBy('p_keys', 'p_holds')} THEN
    t_cycles := 1;
    RETURN QUERY SELECT 1, 0, p_id, p_keys, ${epochMs('p_since')};
  END IF;
  LOOP
    -- Expands the current wait (the record at depth 0) when a wait one step further still makes
    -- a cycle of at most p_max_length waits: the live waits whose chains hold a lease on a key it
    -- waits for, each marked when the record's chain holds a key that one waits for.
    IF t_depth + 2 <= p_max_length THEN
      t_expanded := t_expanded + 1;
      EXIT WHEN t_expanded > ${MAX_EXPANDED};
      WITH owners AS (${ownersOf('t_keys')})
      SELECT coalesce(array_agg(n.id ORDER BY n.since DESC, n.id DESC), ARRAY[]::text[]),
             coalesce(array_agg(n.closing ORDER BY n.since DESC, n.id DESC), ARRAY[]::boolean[])
        INTO t_next, t_next_closing
        FROM (SELECT w.id, w.since, ${heldBy('w.keys', 'p_holds')} AS closing
                FROM ${waits} w
               WHERE w.holds && (SELECT array_agg(o.owner) FROM owners o)
                 AND w.expires_at > p_now AND w.id <> p_id AND w.id <> ALL (t_path)) n;
      t_edges := t_edges + cardinality(t_next);
      EXIT WHEN t_edges > ${MAX_EDGES};
      -- Pushed latest first, so the earliest wait is tried first.
      t_stack := t_stack || t_next;
      t_closing := t_closing || t_next_closing;
      t_depths := t_depths || array_fill(t_depth + 1, ARRAY[cardinality(t_next)]);
    END IF;
    t_top := cardinality(t_stack);
    EXIT WHEN t_top = 0;
    t_depth := t_depths[t_top];
    -- Pushed while the path was t_path[1:t_depth - 1], so not on it.
    t_path := t_path[1:t_depth - 1] || t_stack[t_top];
    IF t_closing[t_top] THEN
      t_cycles := t_cycles + 1;
      RETURN QUERY
        SELECT t_cycles, 0, p_id, p_keys, ${epochMs('p_since')}
        UNION ALL
        SELECT t_cycles, p.pos::int, w.id, w.keys, ${epochMs('w.since')}
          FROM unnest(t_path) WITH ORDINALITY AS p(id, pos)
          JOIN ${waits} w ON w.id = p.id;
      EXIT WHEN t_cycles >= ${MAX_CYCLES};
    END IF;
    t_stack := t_stack[1:t_top - 1];
    t_closing := t_closing[1:t_top - 1];
    t_depths := t_depths[1:t_top - 1];
    IF t_depth + 2 <= p_max_length THEN
      SELECT w.keys INTO t_keys FROM ${waits} w WHERE w.id = t_path[t_depth];
    END IF;
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
