import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LockManager, RedisLockBackend } from '../../lib/index.js';
import { type Comparison, type Contestant, compare, measure } from '../measure.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';

const TTL_MS = 10_000;
/** The ratio to raw ioredis nestjs-locker should reach at each concurrency level. */
const TARGETS = new Map([
  [1, 1.0],
  [64, 1.15],
]);
const RAW = 'raw ioredis';

/**
 * The textbook single-instance Redis unlock: delete the key only if it still holds our token.
 * KEYS[1] = lock key, ARGV[1] = owner token. Returns 1 deleted | 0 not ours.
 */
const COMPARE_AND_DELETE_LUA = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end
`;

/**
 * Uncontended acquire + release: every worker locks and unlocks its own key in a loop, so no
 * acquire ever waits. Measures the cost of the lock itself, against the least a Redis lock can do.
 */
export const uncontended: Scenario = {
  name: 'uncontended',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const comparisons: Comparison[] = [];
    for (const [concurrency, targetRatio] of TARGETS) {
      const { contestants, close } = await setUp(context.redisUrl, concurrency);
      try {
        context.log(`uncontended, concurrency ${concurrency}`);
        const measurements = await measure(contestants, concurrency, context.plan, context.log);
        comparisons.push(
          compare(`Concurrency ${concurrency}`, contestants, measurements, RAW, targetRatio),
        );
      } finally {
        await close();
      }
    }
    return {
      name: 'uncontended',
      title: 'Uncontended acquire + release',
      description: [
        'Each of N workers loops over `acquire` then `release` of its own key (so no acquire ever',
        'waits), on one local Redis. One op = one acquire + one release, timed together. The',
        'contestants run one after the other in rounds, in a rotating order; "× raw" divides a',
        "contestant's ops/s by raw ioredis's in the same round, and its median is what the target",
        'applies to.',
      ].join('\n'),
      comparisons,
    };
  },
};

async function setUp(
  url: string,
  concurrency: number,
): Promise<{ contestants: Contestant[]; close: () => Promise<void> }> {
  const keys = (name: string): string[] =>
    Array.from({ length: concurrency }, (_, worker) => `bench:uncontended:${name}:${worker}`);

  const rawClient = new Redis(url);
  const releaseSha = (await rawClient.script('LOAD', COMPARE_AND_DELETE_LUA)) as string;
  const rawKeys = keys('raw');
  // EVALSHA, and EVAL when the server lost its script cache (a restart, SCRIPT FLUSH): what
  // ioredis's defineCommand and nestjs-locker's RedisScript do too.
  const releaseRaw = async (key: string, token: string): Promise<unknown> => {
    try {
      return await rawClient.evalsha(releaseSha, 1, key, token);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return rawClient.eval(COMPARE_AND_DELETE_LUA, 1, key, token);
    }
  };
  const raw: Contestant = {
    name: RAW,
    description:
      '`SET key token NX PX 10000`, then `EVALSHA` of compare-and-delete; a random 128-bit token per acquire; a default ioredis client (no autopipelining). The baseline.',
    async op(worker) {
      const key = rawKeys[worker]!;
      const token = randomBytes(16).toString('hex');
      if ((await rawClient.set(key, token, 'PX', TTL_MS, 'NX')) !== 'OK') {
        throw new Error(`raw: ${key} was taken`);
      }
      if ((await releaseRaw(key, token)) !== 1) {
        throw new Error(`raw: ${key} was not released`);
      }
    },
  };

  const sharedClient = new Redis(url);
  const withClient = lockerContestant(
    'nestjs-locker { client }',
    '`new RedisLockBackend({ client })` with a default ioredis client (no autopipelining, no `commandTimeout`).',
    new LockManager({ backend: new RedisLockBackend({ client: sharedClient }) }),
    keys('client'),
  );
  const withUrl = lockerContestant(
    'nestjs-locker { url }',
    '`new RedisLockBackend({ url })`: the backend opens its own connection (`commandTimeout` 3 s; no ioredis autopipelining, the backend batches same-tick calls itself).',
    new LockManager({ backend: new RedisLockBackend({ url }) }),
    keys('url'),
  );

  return {
    contestants: [raw, withClient.contestant, withUrl.contestant],
    async close() {
      await Promise.all([withClient.manager.close(), withUrl.manager.close()]);
      await Promise.all([rawClient.quit(), sharedClient.quit()]);
    },
  };
}

function lockerContestant(
  name: string,
  description: string,
  manager: LockManager,
  keys: string[],
): { contestant: Contestant; manager: LockManager } {
  return {
    manager,
    contestant: {
      name,
      description: `\`LockManager.acquire(key, { ttl: 10000 })\` then \`lock.release()\`; ${description}`,
      async op(worker) {
        const lock = await manager.acquire(keys[worker]!, { ttl: TTL_MS });
        if (!(await lock.release())) throw new Error(`${name}: ${lock.key} was not released`);
      },
    },
  };
}
