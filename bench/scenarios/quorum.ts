import { Redis } from 'ioredis';
import { RedlockLockBackend } from '../../lib/index.js';
import { compare, comparisonTargets } from '../comparison.js';
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

const SERVERS = 5;
const TTL_MS = 10_000;
const CONCURRENCY = [1, 64];
/** What nestjs-locker's Redlock backend should reach against the raw quorum. */
const TARGET_RATIO = 0.95;
const LOCKER = 'nestjs-locker RedlockLockBackend';

/**
 * Quorum ×5: uncontended acquire + release against five independent Redis servers, where a lock
 * is held once a majority (3) granted it: nestjs-locker's `RedlockLockBackend` against the raw
 * quorum and the peers' multi-server modes.
 */
export const quorum: Scenario = {
  name: 'quorum',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const urls = await context.redisServers(SERVERS);
    const rawClients = urls.map((url) => new Redis(url));
    const peerClients = urls.map((url) => new Redis(url));
    const lockerClients = urls.map((url) => new Redis(url));
    const adapters: LockAdapter[] = [
      rawRedisLock(rawClients),
      nestjsLocker(
        LOCKER,
        `\`new RedlockLockBackend({ nodes: clients })\` on ${SERVERS} default ioredis clients (no autopipelining, no \`commandTimeout\`; the backend's own per-node timeout of 1 s).`,
        new RedlockLockBackend({ nodes: lockerClients }),
      ),
      ...peerLocks(peerClients),
    ];
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
            target: { ratio: TARGET_RATIO, appliesTo: [LOCKER] },
          },
          measurements,
        );
        sections.push({ title: comparison.title, table: comparisonTable(comparison) });
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
      await Promise.all(
        [...rawClients, ...peerClients, ...lockerClients].map((client) => client.quit()),
      );
    }
    return {
      name: 'quorum',
      title: `Quorum ×${SERVERS} acquire + release`,
      description: [
        `Uncontended acquire + release as above, but on ${SERVERS} independent local Redis servers`,
        'with a majority quorum (Redlock). The peers run in their multi-server mode (redlock, and',
        "redis-semaphore's `RedlockMutex`). nestjs-locker's `RedlockLockBackend` also checks each",
        "grant against the lease's validity (ttl − elapsed − drift) and agrees a fencing token.",
      ].join('\n'),
      contestants,
      sections,
      charts,
      targets,
    };
  },
};
