import pg from 'pg';
import { PostgresLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { pgAdvisoryLock } from '../contestants/pg-advisory-lock.js';
import { pgRawLease } from '../contestants/pg-raw-lease.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';

const TTL_MS = 10_000;
/** The performance issue's targets, against the raw durable lease: per concurrency level. */
const LEVELS = [
  { concurrency: 1, ratio: 0.9 },
  { concurrency: 64, ratio: 1.0 },
];
const CONCURRENCY = LEVELS.map((level) => level.concurrency);
const DEFAULTS = 'nestjs-locker { connectionString }';
const ASYNC = 'nestjs-locker, synchronous_commit off';
const TITLE = 'Postgres acquire + release';

/**
 * Postgres acquire + release: every worker locks and unlocks its own key in a loop, against the
 * least a durable Postgres lease can do with raw `pg` (one upsert, one delete). The least any
 * Postgres lock can do (a session-level advisory lock, which writes nothing) is shown beside it;
 * a contestant with `synchronous_commit=off` shows what the WAL flush of an acquire costs on this
 * machine's disk.
 */
export const postgres: Scenario = {
  name: 'postgres',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const settings = await serverSettings(context.postgresUrl);
    const adapters: LockAdapter[] = [
      await pgRawLease(context.postgresUrl, Math.max(...CONCURRENCY)),
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
        LEVELS.map(({ concurrency, ratio }) => ({
          concurrency,
          target: { ratio, appliesTo: [DEFAULTS] },
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
        'One op = both, timed together. The baseline is the least a durable lease can do with raw',
        '`pg`: one upsert that takes an expired or free key and returns a fencing token, one',
        'delete by owner, both committed to disk. Like it, nestjs-locker writes a lease row (owner,',
        'fencing token, expiry) that outlives connections and server crashes, so each acquire',
        'waits for its WAL record to reach the disk. The least any Postgres lock can do,',
        '`pg_try_advisory_lock` + `pg_advisory_unlock` (two round trips that write nothing and hold',
        'a pooled connection per lock, gone with the session), is shown for reference. The targets',
        '(≥ 0.9× raw at concurrency 1, ≥ 1.0× at 64) apply to the default setup.',
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
