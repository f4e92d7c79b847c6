import { PostgresAdvisoryLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { pgAdvisoryLock } from '../contestants/pg-advisory-lock.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';

const TTL_MS = 10_000;
/** The performance issue's targets for the advisory mode, against raw advisory locks. */
const LEVELS = [
  { concurrency: 1, ratio: 0.9 },
  { concurrency: 64, ratio: 1.0 },
];
const ADVISORY = 'nestjs-locker advisory';
const TITLE = 'Postgres advisory locks: acquire + release';

/**
 * Postgres advisory mode: every worker locks and unlocks its own key in a loop, with
 * `PostgresAdvisoryLockBackend` (fencing token, owner row, one session for the whole process)
 * against raw `pg_try_advisory_lock` + `pg_advisory_unlock` on a pooled connection per lock.
 */
export const postgresAdvisory: Scenario = {
  name: 'postgres-advisory',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const adapters: LockAdapter[] = [
      pgAdvisoryLock(context.postgresUrl, Math.max(...LEVELS.map((level) => level.concurrency))),
      nestjsLocker(
        ADVISORY,
        '`new PostgresAdvisoryLockBackend({ connectionString })` with its defaults: every lock of the process on one session, calls of a round trip batched into one statement, a fencing token from the lease sequence and an unlogged owner row per held key, NOTIFY on release.',
        new PostgresAdvisoryLockBackend({ connectionString: context.postgresUrl }),
      ),
    ];
    const contestants = adapters.map((adapter, i) =>
      uncontendedContestant(adapter, `bench:postgres-advisory:${i}`, TTL_MS),
    );
    let levels: LevelsReport;
    try {
      levels = await measureConcurrencyLevels(
        context,
        { name: 'postgres-advisory', title: TITLE },
        contestants,
        LEVELS.map(({ concurrency, ratio }) => ({
          concurrency,
          target: { ratio, appliesTo: [ADVISORY] },
        })),
      );
    } finally {
      await Promise.all(adapters.map((adapter) => adapter.close()));
    }
    return {
      name: 'postgres-advisory',
      title: TITLE,
      description: [
        'Each of N workers loops over `acquire` then `release` of its own key on one local',
        'PostgreSQL; one op = both, timed together. The baseline is the least any Postgres lock can',
        'do: `pg_try_advisory_lock` then `pg_advisory_unlock` on a pooled connection held for the',
        'lock, no fencing token, nothing written. `PostgresAdvisoryLockBackend` holds every lock of',
        'the process on one session and batches the calls that meet in a round trip into one',
        'statement; each lock gets a fencing token from the lease sequence and an unlogged row naming',
        'its owner, and each release NOTIFYs waiters. Targets: ≥ 0.9× raw at concurrency 1, ≥ 1.0×',
        'at 64.',
      ].join('\n'),
      contestants,
      ...levels,
    };
  },
};
