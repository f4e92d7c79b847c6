import type { LeaseTableNames } from './postgres-names.js';
import { after, epochMs, READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import {
  bool,
  float8,
  int8,
  nullable,
  type Statement,
  statement,
  text,
} from './postgres-statement.js';

/** One row of a listing: `now` on every row; the lease columns NULL on the one row of none found. */
export interface ListedRow {
  readonly now: number;
  readonly key: string | null;
  readonly owner: string | null;
  readonly token: string | null;
  readonly ms: number | null;
  readonly kind: string | null;
}

/** One row of the instance records: `now` on every row; the rest NULL on the one row of none. */
export interface InstanceRow {
  readonly now: number;
  readonly id: string | null;
  readonly payload: string | null;
  readonly ms: number | null;
}

/**
 * The directory's SQL: the listing of live leases under a prefix over the lease table, the permits
 * and the read holds, and the instance records in `<table>_instances` (prefix, id, payload, expiry).
 * Every statement reads `clock_timestamp()` once and judges every expiry by that one instant, which
 * it answers as `now`. The only text placed into them is the tables' checked names.
 */
export interface DirectorySql {
  /** The instance records' table. */
  readonly ddl: string;
  /**
   * $1 the lease, permits and readers tables' qualified names as text. One row `(code_point)`:
   * true when the `key` column of all three sorts in code point order (C, POSIX, C.UTF-8), so a
   * prefix is one range of the key indexes and {@link listRange} may be used.
   */
  readonly keyOrder: Statement<
    readonly [table: string, permits: string, readers: string],
    { readonly code_point: boolean }
  >;
  /**
   * $1 prefix, $2 the least string above every string that starts with it (code point order), $3
   * how many at most (NULL: all). Live leases under the prefix by ranges of the key indexes: for
   * keys that sort in code point order only. Rows {@link ListedRow}.
   */
  readonly listRange: Statement<
    readonly [prefix: string, upper: string, cap: number | null],
    ListedRow
  >;
  /**
   * $1 prefix, $2 how many at most (NULL: all). Live leases under the prefix, each key compared
   * (any collation, any prefix; reads every row of the three tables). Rows {@link ListedRow}.
   */
  readonly listScan: Statement<readonly [prefix: string, cap: number | null], ListedRow>;
  /**
   * $1 prefix, $2 id, $3 payload, $4 ttl ms. Writes the record, and deletes up to 1 000 expired
   * records of the prefix that no other session is writing (so the table stays bounded).
   */
  readonly announce: Statement<
    readonly [prefix: string, id: string, payload: string, ttlMs: number],
    unknown
  >;
  /** $1 prefix, $2 id. Deletes the record. */
  readonly withdraw: Statement<readonly [prefix: string, id: string], unknown>;
  /** $1 prefix. The live records of the prefix: rows {@link InstanceRow}. */
  readonly instances: Statement<readonly [prefix: string], InstanceRow>;
}

const listedColumns = {
  now: float8,
  key: nullable(text),
  owner: nullable(text),
  token: nullable(int8),
  ms: nullable(float8),
  kind: nullable(text),
};

/** Collations that sort text in code point order (UTF-8 byte order). */
const CODE_POINT_COLLATIONS = `('C', 'POSIX', 'C.UTF-8', 'C.utf8', 'C.UTF8')`;

/** Builds the directory's SQL for the lease table `names`. */
export function directorySql(names: LeaseTableNames): DirectorySql {
  const { instances } = names;
  return {
    ddl: `CREATE TABLE IF NOT EXISTS ${instances} (
  prefix text NOT NULL,
  id text NOT NULL,
  payload text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (prefix, id)
);
`,
    // datlocprovider (ICU or libc) is read through to_jsonb: the column is missing before 15.
    keyOrder: statement({
      name: 'directoryKeyOrder',
      text: `SELECT coalesce(bool_and(CASE WHEN c.collname = 'default'
    THEN coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c'
      AND d.datcollate::text IN ${CODE_POINT_COLLATIONS}
    ELSE c.collprovider = 'c' AND c.collcollate::text IN ${CODE_POINT_COLLATIONS} END), false)
       AS code_point
  FROM pg_attribute a
  JOIN pg_collation c ON c.oid = a.attcollation
  JOIN pg_database d ON d.datname = current_database()
 WHERE a.attname = 'key'
   AND a.attrelid IN (to_regclass($1::text), to_regclass($2::text), to_regclass($3::text))`,
      params: [text, text, text],
      rows: 'one',
      columns: { code_point: bool },
    }),
    // The recheck with left() costs nothing and keeps a key outside the prefix out, whatever the
    // range's bounds. Ordered in the index's order, so the limit stops each index scan early.
    listRange: statement({
      name: 'directoryListRange',
      text: listText(
        names,
        (alias) =>
          `${alias}.key >= $1::text AND ${alias}.key < $2::text AND left(${alias}.key, length($1::text)) = $1::text`,
        '',
        '$3::bigint',
      ),
      params: [text, text, nullable(float8)],
      rows: 'any',
      columns: listedColumns,
    }),
    // Ordered in code point order (COLLATE "C"), as the range's keys are, whatever the collation.
    listScan: statement({
      name: 'directoryListScan',
      text: listText(
        names,
        (alias) => `left(${alias}.key, length($1::text)) = $1::text`,
        ' COLLATE "C"',
        '$2::bigint',
      ),
      params: [text, nullable(float8)],
      rows: 'any',
      columns: listedColumns,
    }),
    // SKIP LOCKED: two instances announcing at once never wait on (or deadlock over) the same
    // expired records; the own id is left to the upsert, which may not touch a row deleted here.
    announce: statement({
      name: 'directoryAnnounce',
      text: `WITH now AS MATERIALIZED (SELECT clock_timestamp() AS at), gone AS (
  DELETE FROM ${instances} WHERE (prefix, id) IN (
    SELECT i.prefix, i.id FROM ${instances} i, now
     WHERE i.prefix = $1::text AND i.id <> $2::text AND i.expires_at <= now.at
     LIMIT 1000 FOR UPDATE OF i SKIP LOCKED)
)
INSERT INTO ${instances} AS i (prefix, id, payload, expires_at)
SELECT $1::text, $2::text, $3::text, ${after('now.at', '$4::float8')} FROM now
ON CONFLICT (prefix, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at`,
      params: [text, text, text, float8],
      rows: 'any',
      columns: {},
    }),
    withdraw: statement({
      name: 'directoryWithdraw',
      text: `DELETE FROM ${instances} WHERE prefix = $1::text AND id = $2::text`,
      params: [text, text],
      rows: 'any',
      columns: {},
    }),
    instances: statement({
      name: 'directoryInstances',
      text: `WITH now AS MATERIALIZED (SELECT clock_timestamp() AS at)
SELECT ${epochMs('now.at')} AS now, i.id, i.payload, ${epochMs('i.expires_at')} AS ms
  FROM now LEFT JOIN ${instances} i ON i.prefix = $1::text AND i.expires_at > now.at`,
      params: [text],
      rows: 'any',
      columns: { now: float8, id: nullable(text), payload: nullable(text), ms: nullable(float8) },
    }),
  };
}

/**
 * A listing: the live holds under the prefix (`match` of each table's alias) in the lease table
 * (markers of semaphores and read holds left out: their permits and read holds are listed), the
 * permits and the read holds, the first `cap` in key order (`collate`), then token order.
 */
function listText(
  names: LeaseTableNames,
  match: (alias: string) => string,
  collate: string,
  cap: string,
): string {
  return `WITH now AS MATERIALIZED (SELECT clock_timestamp() AS at), found AS (
  SELECT u.* FROM (
    SELECT l.key, l.owner, l.token, l.expires_at, 'mutex'::text AS kind
      FROM ${names.table} l, now
     WHERE ${match('l')} AND l.owner IS NOT NULL
       AND l.owner NOT IN ('${SEMAPHORE_OWNER}', '${READERS_OWNER}') AND l.expires_at > now.at
    UNION ALL
    SELECT p.key, p.owner, p.token, p.expires_at, 'permit'::text
      FROM ${names.permits} p, now
     WHERE ${match('p')} AND p.owner IS NOT NULL AND p.expires_at > now.at
    UNION ALL
    SELECT r.key, r.owner, r.token, r.expires_at, 'read'::text
      FROM ${names.readers} r, now
     WHERE ${match('r')} AND r.expires_at > now.at
  ) u
  ORDER BY u.key${collate}, u.token LIMIT ${cap}
)
SELECT ${epochMs('now.at')} AS now, f.key, f.owner, f.token::text AS token,
       ${epochMs('f.expires_at')} AS ms, f.kind
  FROM now LEFT JOIN found f ON true`;
}
