import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** The contestant's own lease table and fencing sequence; created when missing. */
const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS bench_raw_leases (
  key text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS bench_raw_leases_token;`;

/**
 * Takes a lease when the key is free or its lease ran out: one upsert, committed with the
 * server's `synchronous_commit` (on: the commit waits for its WAL flush).
 * $1 = key, $2 = owner token, $3 = ttl ms. One row (token) when taken, none when held by another.
 */
const ACQUIRE_SQL = `
INSERT INTO bench_raw_leases AS l (key, owner, token, expires_at)
VALUES ($1, $2, nextval('bench_raw_leases_token'), clock_timestamp() + $3 * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE
   SET owner = EXCLUDED.owner, token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
 WHERE l.expires_at <= clock_timestamp()
RETURNING token`;

/** Gives a lease back if `owner` still holds it. $1 = key, $2 = owner token. */
const RELEASE_SQL = 'DELETE FROM bench_raw_leases WHERE key = $1 AND owner = $2';

/** How often a taken key is tried again, in ms. */
const RETRY_DELAY_MS = 1;

/**
 * The least a durable Postgres lease can do, as the baseline of the Postgres scenario: one
 * prepared `INSERT … ON CONFLICT … DO UPDATE … WHERE expired … RETURNING token` per acquire (a
 * fencing token from a sequence, the commit waiting for its WAL flush), one prepared
 * `DELETE … WHERE owner = $2` per release, each on any connection of a `pg.Pool`. No renewal, no
 * wake-ups: waiting polls every millisecond.
 *
 * @example
 * const raw = await pgRawLease(context.postgresUrl, 64);
 * const lock = await raw.acquire('bench:pg:0', 10_000);
 * await lock.release();
 * await raw.close();
 */
export async function pgRawLease(url: string, connections: number): Promise<LockAdapter> {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  await pool.query(SCHEMA_SQL);
  return {
    name: 'raw pg lease (INSERT … ON CONFLICT)',
    description: `one prepared \`INSERT … ON CONFLICT (key) DO UPDATE … WHERE expires_at <= clock_timestamp() RETURNING token\` (token from a sequence; synchronous commit, as the server is set) per acquire and one prepared \`DELETE … WHERE key = $1 AND owner = $2\` per release, on a \`pg.Pool\` (max ${connections}); a random 128-bit owner per acquire; retries every 1 ms while taken. The least a durable lease can do: the baseline.`,
    async acquire(key, ttlMs): Promise<HeldLock> {
      const owner = randomBytes(16).toString('hex');
      for (;;) {
        const taken = await pool.query({
          name: 'bench_raw_lease_acquire',
          text: ACQUIRE_SQL,
          values: [key, owner, ttlMs],
        });
        if (taken.rowCount === 1) break;
        await sleep(RETRY_DELAY_MS);
      }
      return {
        async release() {
          const result = await pool.query({
            name: 'bench_raw_lease_release',
            text: RELEASE_SQL,
            values: [key, owner],
          });
          if (result.rowCount !== 1) throw new Error(`raw pg lease: ${key} was not held`);
        },
      };
    },
    close: () => pool.end(),
  };
}
