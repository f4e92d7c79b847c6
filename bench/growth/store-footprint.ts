import type { Redis } from 'ioredis';
import type pg from 'pg';
import { readServerInfo } from '../redis-info.js';

/** What a store holds at one moment: its keys (or rows) and the bytes they take. */
export interface Footprint {
  readonly keys: number;
  readonly bytes: number;
}

/** SCAN batch size while counting or deleting a run's keys. */
const SCAN_COUNT = 10_000;

/**
 * Redis's key count (`DBSIZE`) and `used_memory`. A key whose expiry has passed still counts in
 * `DBSIZE` until Redis deletes it, so `settle` first scans the keys matching it, which deletes
 * those it finds expired (Redis checks the expiry of every key SCAN returns).
 */
export async function redisFootprint(client: Redis, settle?: string): Promise<Footprint> {
  if (settle !== undefined) await scanKeys(client, settle, async () => undefined);
  const keys = await client.dbsize();
  return { keys, bytes: (await readServerInfo(client)).usedMemory };
}

/** Deletes every key matching `pattern` (a run's own keys, so that no later scenario pays for them). */
export async function deleteRedisKeys(client: Redis, pattern: string): Promise<void> {
  await scanKeys(client, pattern, async (keys) => {
    await client.unlink(...keys);
  });
}

async function scanKeys(
  client: Redis,
  pattern: string,
  each: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    if (keys.length > 0) await each(keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * The rows of the lease table and the bytes of every table of `schema` (`pg_total_relation_size`:
 * heap, indexes and TOAST, dead rows included until a vacuum frees their space).
 */
export async function postgresFootprint(
  pool: pg.Pool,
  schema: string,
  leaseTable: string,
): Promise<Footprint> {
  const bytes = await pool.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0)::text AS bytes
       FROM pg_tables WHERE schemaname = $1`,
    [schema],
  );
  const rows = await pool.query<{ rows: string }>(
    `SELECT count(*)::text AS rows FROM ${quoted(schema)}.${quoted(leaseTable)}`,
  );
  return { keys: Number(rows.rows[0]!.rows), bytes: Number(bytes.rows[0]!.bytes) };
}

/** Drops `schema` and everything in it: the growth scenario's own schema, fresh for each store. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoted(schema)} CASCADE`);
}

/** A bench-chosen identifier (lower-case letters and underscores), double-quoted. */
function quoted(identifier: string): string {
  if (!/^[a-z_]+$/.test(identifier)) throw new Error(`not a plain identifier: ${identifier}`);
  return `"${identifier}"`;
}
