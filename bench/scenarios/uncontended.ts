import { Redis } from 'ioredis';
import { RedisLockBackend } from '../../lib/index.js';
import { type Comparison, compare, comparisonTargets } from '../comparison.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { peerLocks } from '../contestants/peers.js';
import { rawRedisLock } from '../contestants/raw-redis-lock.js';
import { latencyChart } from '../latency-chart.js';
import { measure } from '../measure.js';
import { comparisonTable } from '../report/comparison-table.js';
import type {
  BenchContext,
  Chart,
  Scenario,
  ScenarioReport,
  Section,
  TargetResult,
} from '../scenario.js';

const TTL_MS = 10_000;
/** The ratio to raw ioredis nestjs-locker should reach at each concurrency level. */
const TARGETS = new Map([
  [1, 1.0],
  [64, 1.15],
]);
const WITH_CLIENT = 'nestjs-locker { client }';
const WITH_URL = 'nestjs-locker { url }';

/**
 * Uncontended acquire + release: every worker locks and unlocks its own key in a loop, so no
 * acquire ever waits. Measures the cost of the lock itself, against the least a Redis lock can do
 * and against the peer libraries.
 */
export const uncontended: Scenario = {
  name: 'uncontended',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const rawClient = new Redis(context.redisUrl);
    const peerClient = new Redis(context.redisUrl);
    const lockerClient = new Redis(context.redisUrl);
    const adapters: LockAdapter[] = [
      rawRedisLock([rawClient]),
      nestjsLocker(
        WITH_CLIENT,
        '`new RedisLockBackend({ client })` with a default ioredis client (no autopipelining, no `commandTimeout`).',
        new RedisLockBackend({ client: lockerClient }),
      ),
      nestjsLocker(
        WITH_URL,
        '`new RedisLockBackend({ url })`: the backend opens its own connection (`commandTimeout` 3 s; no ioredis autopipelining, the backend batches same-tick calls itself).',
        new RedisLockBackend({ url: context.redisUrl }),
      ),
      ...peerLocks([peerClient]),
    ];
    const contestants = adapters.map((adapter, i) =>
      uncontendedContestant(adapter, `bench:uncontended:${i}`, TTL_MS),
    );
    const baseline = adapters[0]!.name;
    const sections: Section[] = [];
    const charts: Chart[] = [];
    const targets: TargetResult[] = [];
    try {
      for (const [concurrency, ratio] of TARGETS) {
        context.log(`uncontended, concurrency ${concurrency}`);
        const measurements = await measure(contestants, concurrency, context.plan, context.log);
        const comparison: Comparison = compare(
          {
            title: `Concurrency ${concurrency}`,
            baseline,
            ratioLabel: '× raw',
            target: { ratio, appliesTo: [WITH_CLIENT, WITH_URL] },
          },
          measurements,
        );
        sections.push({ title: comparison.title, table: comparisonTable(comparison) });
        targets.push(...comparisonTargets(comparison, `uncontended, concurrency ${concurrency}`));
        charts.push(
          latencyChart(
            `uncontended-c${concurrency}-latency`,
            `Uncontended acquire + release, concurrency ${concurrency}`,
            measurements,
          ),
        );
      }
    } finally {
      await Promise.all(adapters.map((adapter) => adapter.close()));
      await Promise.all([rawClient.quit(), peerClient.quit(), lockerClient.quit()]);
    }
    return {
      name: 'uncontended',
      title: 'Uncontended acquire + release',
      description: [
        'Each of N workers loops over `acquire` then `release` of its own key (so no acquire ever',
        'waits), on one local Redis. One op = one acquire + one release, timed together. The',
        'contestants run one after the other in rounds, in a rotating order; "× raw" divides a',
        "contestant's ops/s by raw ioredis's in the same round, and its median is what the target",
        'applies to (nestjs-locker only; the peers are shown for comparison).',
      ].join('\n'),
      contestants,
      sections,
      charts,
      targets,
    };
  },
};
