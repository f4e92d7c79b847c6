import { Redis } from 'ioredis';
import { RedisLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { peerLocks } from '../contestants/peers.js';
import { rawRedisLock } from '../contestants/raw-redis-lock.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';

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
        '`new RedisLockBackend({ client })` with a default ioredis client (no autopipelining, no `commandTimeout`: the backend bounds each call at 3 s itself).',
        new RedisLockBackend({ client: lockerClient }),
      ),
      nestjsLocker(
        WITH_URL,
        '`new RedisLockBackend({ url })`: the backend opens its own connection (calls bounded at 3 s by the backend, not by an ioredis timer per command; no ioredis autopipelining, the backend batches same-tick calls itself).',
        new RedisLockBackend({ url: context.redisUrl }),
      ),
      ...peerLocks([peerClient]),
    ];
    const contestants = adapters.map((adapter, i) =>
      uncontendedContestant(adapter, `bench:uncontended:${i}`, TTL_MS),
    );
    const applies = [WITH_CLIENT, WITH_URL];
    let levels: LevelsReport;
    try {
      levels = await measureConcurrencyLevels(
        context,
        { name: 'uncontended', title: 'Uncontended acquire + release' },
        contestants,
        [...TARGETS].map(([concurrency, ratio]) => ({
          concurrency,
          target: { ratio, appliesTo: applies },
        })),
      );
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
      ...levels,
    };
  },
};
