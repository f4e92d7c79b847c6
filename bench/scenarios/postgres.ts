import pg from 'pg';
import { PostgresLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { pgAdvisoryLock } from '../contestants/pg-advisory-lock.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';

const TTL_MS = 10_000;
const CONCURRENCY = [1, 64];
/** The target: acquire + release at least half as fast as raw advisory locks. */
const TARGET_RATIO = 0.5;
const DEFAULTS = 'nestjs-locker { connectionString }';
const ASYNC = 'nestjs-locker, synchronous_commit off';
const TITLE = 'Postgres acquire + release';

/**
 * Postgres acquire + release: every worker locks and unlocks its own key in a loop, against the
 * least a Postgres lock can do (a session-level advisory lock). nestjs-locker writes a durable
 * lease row per acquire; a second contestant with `synchronous_commit=off` shows what the WAL
 * flush of that write costs on this machine's disk.
 */
export const postgres: Scenario = {
  name: 'postgres',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const settings = await serverSettings(context.postgresUrl);
    const adapters: LockAdapter[] = [
      pgAdvisoryLock(context.postgresUrl, Math.max(...CONCURRENCY)),
      nestjsLocker(
        DEFAULTS,
        '`new PostgresLockBackend({ connectionString })` with its defaults: its own `pg.Pool` (max 10), prepared statements, LISTEN/NOTIFY wake-ups; acquires wait for their WAL flush, releases do not (a lost release only delays the next holder).',
        new PostgresLockBackend({ connectionString: context.postgresUrl }),
      ),
      nestjsLocker(
        ASYNC,
        "the same, with `connection: { options: '-c synchronous_commit=off' }`: acquires do not wait for the disk either. **Not crash-safe** (a Postgres crash can forget the last acquires); shown only to separate the cost of the flush from the cost of the statements.",
        new PostgresLockBackend({
          connectionString: context.postgresUrl,
          connection: { options: '-c synchronous_commit=off' },
        }),
      ),
    ];
    const contestants = adapters.map((adapter, i) =>
      uncontendedContestant(adapter, `bench:postgres:${i}`, TTL_MS),
    );
    let levels: LevelsReport;
    try {
      levels = await measureConcurrencyLevels(
        context,
        { name: 'postgres', title: TITLE },
        contestants,
        CONCURRENCY.map((concurrency) => ({
          concurrency,
          target: { ratio: TARGET_RATIO, appliesTo: [DEFAULTS] },
        })),
      );
    } finally {
      await Promise.all(adapters.map((adapter) => adapter.close()));
    }
    return {
      name: 'postgres',
      title: TITLE,
      description: [
        'Each of N workers loops over `acquire` then `release` of its own key on one local',
        `PostgreSQL (fsync ${settings.fsync}, synchronous_commit ${settings.synchronousCommit}).`,
        'One op = both, timed together. The baseline is the least a Postgres lock can do:',
        '`pg_try_advisory_lock` + `pg_advisory_unlock`, two round trips that write nothing and hold',
        'a pooled connection per lock. nestjs-locker writes a lease row (owner, fencing token,',
        'expiry) that outlives connections and server crashes, so each acquire waits for its WAL',
        'record to reach the disk. The target (≥ 0.5× raw) applies to the default setup.',
      ].join('\n'),
      contestants,
      ...levels,
    };
  },
};

/** The server settings that decide what a durable write costs, for the report. */
async function serverSettings(url: string): Promise<{ fsync: string; synchronousCommit: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ fsync: string; sync: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync",
    );
    return { fsync: rows[0]!.fsync, synchronousCommit: rows[0]!.sync };
  } finally {
    await client.end();
  }
}
