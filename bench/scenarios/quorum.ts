import { Redis } from 'ioredis';
import { compare, comparisonTargets } from '../comparison.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
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

const SERVERS = 5;
const TTL_MS = 10_000;
const CONCURRENCY = [1, 64];
/** What nestjs-locker's Redlock backend should reach against the raw quorum, once it exists. */
const TARGET_RATIO = 0.95;
const PENDING = {
  name: 'nestjs-locker RedlockLockBackend',
  reason: 'the Redlock backend is not built yet (its own issue); target ≥ 0.95× raw',
};

/**
 * Quorum ×5: uncontended acquire + release against five independent Redis servers, where a lock
 * is held once a majority (3) granted it. The raw baseline and the peers run now; nestjs-locker's
 * row waits for its Redlock backend.
 */
export const quorum: Scenario = {
  name: 'quorum',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const urls = await context.redisServers(SERVERS);
    const rawClients = urls.map((url) => new Redis(url));
    const peerClients = urls.map((url) => new Redis(url));
    const adapters: LockAdapter[] = [rawRedisLock(rawClients), ...peerLocks(peerClients)];
    const contestants = adapters.map((adapter, i) =>
      uncontendedContestant(adapter, `bench:quorum:${i}`, TTL_MS),
    );
    const sections: Section[] = [];
    const charts: Chart[] = [];
    const targets: TargetResult[] = [];
    try {
      for (const concurrency of CONCURRENCY) {
        context.log(`quorum ×${SERVERS}, concurrency ${concurrency}`);
        const measurements = await measure(contestants, concurrency, context.plan, context.log);
        const comparison = compare(
          {
            title: `Concurrency ${concurrency}`,
            baseline: adapters[0]!.name,
            ratioLabel: '× raw',
            target: { ratio: TARGET_RATIO, appliesTo: [PENDING.name] },
            pending: [PENDING],
          },
          measurements,
        );
        sections.push({
          title: comparison.title,
          table: comparisonTable(comparison),
          notes: [`**${PENDING.name}**: pending, ${PENDING.reason}.`],
        });
        targets.push(
          ...comparisonTargets(comparison, `quorum ×${SERVERS}, concurrency ${concurrency}`),
        );
        charts.push(
          latencyChart(
            `quorum-c${concurrency}-latency`,
            `Quorum ×${SERVERS} acquire + release, concurrency ${concurrency}`,
            measurements,
          ),
        );
      }
    } finally {
      await Promise.all(adapters.map((adapter) => adapter.close()));
      await Promise.all([...rawClients, ...peerClients].map((client) => client.quit()));
    }
    return {
      name: 'quorum',
      title: `Quorum ×${SERVERS} acquire + release`,
      description: [
        `Uncontended acquire + release as above, but on ${SERVERS} independent local Redis servers`,
        'with a majority quorum (Redlock). The peers run in their multi-server mode (redlock, and',
        "redis-semaphore's `RedlockMutex`). nestjs-locker's `RedlockLockBackend` is pending: its row",
        'and its target (≥ 0.95× raw) are in the table, its numbers come with that backend.',
      ].join('\n'),
      contestants,
      sections,
      charts,
      targets,
    };
  },
};
