import type { LeaseTableNames } from './postgres-names.js';
import { after, READERS_OWNER, SEMAPHORE_OWNER } from './postgres-sql-fragments.js';
import { bool, float8, type Statement, statement, text } from './postgres-statement.js';

/**
 * Outcomes of shared runs: one row per key (value, stored_at, expiry) in the results table. A put
 * stores only while the owner holds the key's lease row, checked and kept in one statement: it
 * locks that row `FOR SHARE`, so a successor cannot take the key before the put commits, and a
 * lease taken over meanwhile fails the check (read committed re-reads a row it waited for).
 */
export interface ResultsSql {
  /** The results table. */
  readonly ddl: string;
  /**
   * $1 key, $2 owner, $3 value, $4 ttl ms. One row `(stored)` when the owner held the key's live
   * mutex lease and the value replaced the key's outcome; none when it did not.
   */
  readonly put: Statement<
    readonly [key: string, owner: string, value: string, ttlMs: number],
    { readonly stored: boolean }
  >;
  /** $1 key. One row `(value, age_ms)` for the key's live outcome, none when none lives. */
  readonly get: Statement<
    readonly [key: string],
    { readonly value: string; readonly age_ms: number }
  >;
}

/** Builds the SQL of shared outcomes beside the lease table `names`. */
export function resultsSql(names: LeaseTableNames): ResultsSql {
  const { table, results } = names;

  const ddl = `CREATE TABLE IF NOT EXISTS ${results} (
  key text PRIMARY KEY,
  value text NOT NULL,
  stored_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

  return {
    ddl,
    // The markers' owners hold nothing: a semaphore or read-held key stores no outcome.
    put: statement({
      name: 'resultsPut',
      text: `WITH held AS (
  SELECT clock_timestamp() AS now FROM ${table} l
   WHERE l.key = $1::text AND l.owner = $2::text AND l.expires_at > clock_timestamp()
     AND l.owner NOT IN ('${SEMAPHORE_OWNER}', '${READERS_OWNER}')
     FOR SHARE
)
INSERT INTO ${results} AS r (key, value, stored_at, expires_at)
SELECT $1::text, $3::text, held.now, ${after('held.now', '$4::float8')} FROM held
ON CONFLICT (key) DO UPDATE
  SET value = excluded.value, stored_at = excluded.stored_at, expires_at = excluded.expires_at
RETURNING true AS stored`,
      params: [text, text, text, float8],
      rows: 'atMostOne',
      columns: { stored: bool },
    }),
    get: statement({
      name: 'resultsGet',
      text: `SELECT r.value,
       greatest(0, floor(extract(epoch FROM clock_timestamp() - r.stored_at) * 1000))::float8 AS age_ms
  FROM ${results} r
 WHERE r.key = $1::text AND r.expires_at > clock_timestamp()`,
      params: [text],
      rows: 'atMostOne',
      columns: { value: text, age_ms: float8 },
    }),
  };
}
