import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { LockManager, PostgresLockBackend, RedisLockBackend } from '../../lib/index.js';
import { inParallel } from '../in-parallel.js';
import {
  deleteRedisKeys,
  dropSchema,
  type Footprint,
  postgresFootprint,
  redisFootprint,
} from './store-footprint.js';

/** Acquires and releases (or claims) in flight at once. */
const IN_FLIGHT = 256;
/** Longer than any lock of the run is held: none is ever renewed or lost. */
const TTL_MS = 30_000;
/** How long past its ttl a claim is looked at: Redis deletes an expired key within this. */
const SETTLE_MS = 500;
/** The growth scenario's own Postgres schema, dropped before and after each store's run. */
const SCHEMA = 'bench_growth';
/** The backend's default lease table. */
const LEASE_TABLE = 'nestjs_locker';
/** Cron ticks a second apart, as `@SingletonCron` names them: `cron:<job>:<tick ms>`. */
const TICK_SPACING_MS = 1_000;

/** A store as this scenario uses it: a fresh manager on it, under a prefix of the run's own. */
export interface FootprintStore {
  readonly name: string;
  open(prefix: string): Promise<StoreRun>;
}

interface StoreRun {
  readonly manager: LockManager;
  /** The store's keys (Redis) or lease rows (Postgres) and their bytes, expired ones gone. */
  footprint(): Promise<Footprint>;
  /** How long the store keeps what is left of `key` after its lease, in ms; NaN if it has no expiry. */
  keptMs(key: string): Promise<number>;
  /** Closes the manager and deletes what the run left, so no later scenario pays for it. */
  close(): Promise<void>;
}

/** What locking `keys` distinct keys once each (or claiming `keys` ticks) left behind. */
export interface LeftBehind {
  readonly store: string;
  readonly keys: number;
  /** Keys locked and released (or claimed) per second. */
  readonly perSec: number;
  /** Growth of the store's footprint over the run. */
  readonly left: Footprint;
  /** How long the store keeps one key's leftovers, in ms (NaN: until swept or forever). */
  readonly keptMs: number;
}

/** Redis on `url`: its keys and `used_memory`; leftovers are the run's fence keys. */
export function redisStore(url: string): FootprintStore {
  return {
    name: 'Redis',
    async open(prefix) {
      const client = new Redis(url);
      const manager = new LockManager({
        backend: new RedisLockBackend({ client }),
        keyPrefix: prefix,
      });
      const pattern = `{${prefix}*`;
      return {
        manager,
        footprint: () => redisFootprint(client, pattern),
        async keptMs(key) {
          const ttl = await client.pttl(`{${prefix}${key}}:fence`);
          return ttl >= 0 ? ttl : Number.NaN;
        },
        async close() {
          await manager.close();
          await deleteRedisKeys(client, pattern);
          await client.quit();
        },
      };
    },
  };
}

/** Postgres at `url`, in a schema of its own with the sweep off: leftovers are lease rows. */
export function postgresStore(url: string): FootprintStore {
  return {
    name: 'PostgreSQL',
    async open(prefix) {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      await dropSchema(pool, SCHEMA);
      const manager = new LockManager({
        backend: new PostgresLockBackend({
          connectionString: url,
          schema: SCHEMA,
          sweepIntervalMs: 0,
        }),
        keyPrefix: prefix,
      });
      return {
        manager,
        footprint: () => postgresFootprint(pool, SCHEMA, LEASE_TABLE),
        keptMs: async () => Number.NaN,
        async close() {
          await manager.close();
          await dropSchema(pool, SCHEMA);
          await pool.end();
        },
      };
    },
  };
}

/**
 * Locks `keys` distinct keys once each (acquire then release, `IN_FLIGHT` at once) through a
 * `LockManager`, and measures what they leave in the store after their release. Stops taking new
 * keys once `budgetMs` has passed: the row then says how many it reached.
 */
export async function lockEachOnce(
  store: FootprintStore,
  keys: number,
  budgetMs: number,
  log: (message: string) => void,
): Promise<LeftBehind> {
  return leftBehind(
    store,
    keys,
    log,
    async (manager, i) => {
      const lock = await manager.acquire(`k${i}`, { ttl: TTL_MS });
      await lock.release();
    },
    { afterMs: 0, sampleKey: 'k0', budgetMs },
  );
}

/**
 * Claims `ticks` ticks of one job as `@SingletonCron` does (`claim('cron:<job>:<tick>', ttl)`),
 * waits until every claim's ttl has passed, and measures what they leave in the store.
 */
export async function claimTicks(
  store: FootprintStore,
  ticks: number,
  claimTtlMs: number,
  log: (message: string) => void,
): Promise<LeftBehind> {
  const firstTick = Math.floor(Date.now() / TICK_SPACING_MS) * TICK_SPACING_MS;
  const tickKey = (i: number): string => `cron:growth:${firstTick + i * TICK_SPACING_MS}`;
  return leftBehind(
    store,
    ticks,
    log,
    async (manager, i) => {
      if (!(await manager.claim(tickKey(i), claimTtlMs))) throw new Error(`${tickKey(i)} taken`);
    },
    { afterMs: claimTtlMs + SETTLE_MS, sampleKey: tickKey(0), budgetMs: Number.POSITIVE_INFINITY },
  );
}

/** How a run ends: how long it waits before looking, which key's expiry it reads, its time budget. */
interface RunEnd {
  /** Waited after the last task (and after the first, before the baseline), in ms. */
  readonly afterMs: number;
  readonly sampleKey: string;
  /** No task starts after this many ms of the run. */
  readonly budgetMs: number;
}

async function leftBehind(
  store: FootprintStore,
  count: number,
  log: (message: string) => void,
  task: (manager: LockManager, i: number) => Promise<void>,
  end: RunEnd,
): Promise<LeftBehind> {
  const run = await store.open(`bench:growth:${Date.now().toString(36)}:`);
  try {
    // One key first: schema, scripts and connections are in place before the baseline, and its
    // lease has run out as the others' will have when the footprint is read again.
    await task(run.manager, count);
    await sleep(end.afterMs);
    const before = await run.footprint();
    const progressEvery = Math.max(1, Math.floor(count / 10));
    let done = 0;
    const startedAt = performance.now();
    await inParallel(count, IN_FLIGHT, async (i) => {
      if (performance.now() - startedAt > end.budgetMs) return;
      await task(run.manager, i);
      if (++done % progressEvery === 0 && done < count)
        log(`    ${store.name}: ${done} of ${count}`);
    });
    const elapsedSec = (performance.now() - startedAt) / 1000;
    await sleep(end.afterMs);
    const footprint = await run.footprint();
    return {
      store: store.name,
      keys: done,
      perSec: done / elapsedSec,
      left: { keys: footprint.keys - before.keys, bytes: footprint.bytes - before.bytes },
      keptMs: await run.keptMs(end.sampleKey),
    };
  } finally {
    await run.close();
  }
}
