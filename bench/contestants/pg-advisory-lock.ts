import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/**
 * Takes the session-level advisory lock of a text key without waiting.
 * $1 = key (text), hashed to the 64-bit lock id. Returns one row: locked = true | false.
 */
const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked';

/**
 * Gives back the session-level advisory lock of a text key.
 * $1 = key (text). Returns one row: unlocked = true | false (false: this session did not hold it).
 */
const UNLOCK_SQL = 'SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked';

/** How often a taken key is tried again, in ms. */
const RETRY_DELAY_MS = 1;

/**
 * The least a PostgreSQL lock can do, a reference row of the Postgres scenario: a session-level
 * `pg_try_advisory_lock` on a connection checked out of a `pg.Pool` of `connections` for as long
 * as the lock is held, then `pg_advisory_unlock`; both as prepared statements. No lease: the lock
 * lives as long as the session, and the ttl is ignored. Waiting polls every millisecond.
 *
 * @example
 * const raw = pgAdvisoryLock(context.postgresUrl, 64);
 * const lock = await raw.acquire('bench:pg:0', 10_000);
 * await lock.release();
 * await raw.close();
 */
export function pgAdvisoryLock(url: string, connections: number): LockAdapter {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  return {
    name: 'raw pg_try_advisory_lock',
    description: `\`SELECT pg_try_advisory_lock(hashtextextended(key, 0))\`, then \`pg_advisory_unlock\`, as prepared statements, on a connection of a \`pg.Pool\` (max ${connections}) held while locked; retries every 1 ms while taken. The least any Postgres lock can do (no lease row, nothing written).`,
    async acquire(key): Promise<HeldLock> {
      const client = await pool.connect();
      try {
        for (;;) {
          const tried = await client.query<{ locked: boolean }>({
            name: 'bench_try_advisory_lock',
            text: TRY_LOCK_SQL,
            values: [key],
          });
          if (tried.rows[0]?.locked) break;
          await sleep(RETRY_DELAY_MS);
        }
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      return {
        async release() {
          try {
            const result = await client.query<{ unlocked: boolean }>({
              name: 'bench_advisory_unlock',
              text: UNLOCK_SQL,
              values: [key],
            });
            if (!result.rows[0]?.unlocked) {
              throw new Error(`raw pg_try_advisory_lock: ${key} was not held`);
            }
            client.release();
          } catch (error) {
            client.release(error instanceof Error ? error : true);
            throw error;
          }
        },
      };
    },
    close: () => pool.end(),
  };
}
