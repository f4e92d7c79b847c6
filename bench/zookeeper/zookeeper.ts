import { ZooKeeperLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import type { Contestant } from '../measure.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';
import { rawZooKeeperLock } from './raw-zookeeper-lock.js';

const TTL_MS = 10_000;
/** Workers of the uncontended levels, each on its own key. */
const UNCONTENDED = [1, 64];
/** Workers taking turns on one key, each with its own session, as separate processes would. */
const CONTENDED = 8;
/** Uncontended: at least half as fast as the raw recipe. */
const TARGET_RATIO = 0.5;
const LOCKER = 'nestjs-locker';
const LOCKER_FAIR = 'nestjs-locker (fair)';
const TITLE = 'ZooKeeper acquire + release';

/**
 * ZooKeeper acquire + release against the bare lock recipe of `node-zookeeper-client` (create an
 * ephemeral sequential node, list the children, delete): uncontended (every worker its own key)
 * at 1 and 64 workers, and contended (eight workers, each its own session, taking turns on one
 * key through a fair queue).
 */
export const zookeeperScenario: Scenario = {
  name: 'zookeeper',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const connect = await context.consensusServer('zookeeper');
    const report: LevelsReport = { sections: [], charts: [], targets: [] };
    const opened: LockAdapter[] = [];
    try {
      const raw = await rawZooKeeperLock(connect, 1);
      const locker = nestjsLocker(
        LOCKER,
        '`new ZooKeeperLockBackend({ connectionString })`: one session.',
        new ZooKeeperLockBackend({ connectionString: connect }),
      );
      opened.push(raw, locker);
      const uncontended = [raw, locker].map((adapter, i) =>
        uncontendedContestant(adapter, `bench:zk:${i}`, TTL_MS),
      );
      const levels = await measureConcurrencyLevels(
        context,
        { name: 'zookeeper', title: TITLE },
        uncontended,
        UNCONTENDED.map((concurrency) => ({
          concurrency,
          target: { ratio: TARGET_RATIO, appliesTo: [LOCKER] },
        })),
      );
      report.sections.push(...levels.sections);
      report.charts.push(...levels.charts);
      report.targets.push(...levels.targets);

      const rawSessions = await rawZooKeeperLock(connect, CONTENDED);
      const fairSessions = Array.from({ length: CONTENDED }, () =>
        nestjsLocker(
          LOCKER_FAIR,
          `\`fair: true\`, ${CONTENDED} backends (sessions), one per worker.`,
          new ZooKeeperLockBackend({ connectionString: connect }),
          { fair: true },
        ),
      );
      opened.push(rawSessions, ...fairSessions);
      const contended = await measureConcurrencyLevels(
        context,
        { name: 'zookeeper-contended', title: `${TITLE}, one key` },
        [
          oneKey(rawSessions.name, rawSessions.description, () => rawSessions),
          oneKey(LOCKER_FAIR, fairSessions[0]!.description, (worker) => fairSessions[worker]!),
        ],
        [{ concurrency: CONTENDED }],
      );
      report.sections.push(
        ...contended.sections.map((section) => ({
          ...section,
          title: `Contended: ${CONTENDED} workers, one key`,
        })),
      );
      report.charts.push(...contended.charts);
    } finally {
      await Promise.all(opened.map((adapter) => adapter.close()));
    }
    return {
      name: 'zookeeper',
      title: TITLE,
      description: [
        'Uncontended: each of N workers loops over `acquire` then `release` of its own key on one',
        'local ZooKeeper 3.8 (standalone, forceSync=no). One op = both, timed together. The',
        'baseline is the bare recipe: `create` an ephemeral sequential node, `getChildren`, `remove`:',
        'three round trips, nothing else. nestjs-locker takes three round trips too, with more in',
        'them: create + list (pipelined), a read of its node for `ctime`/`czxid` (lease expiry on',
        'the store clock, fencing token), and on release a read + remove (pipelined); plus the',
        'manager (owner tokens, renewal registry). Contended:',
        `${CONTENDED} workers, each with its own session, take turns on one key; the raw recipe`,
        'waits on an exists-watch of the node ahead, nestjs-locker with `fair: true` likewise, and',
        'a woken waiter takes the lease in two more round trips (a list of the queue, one write).',
        'The target (≥ 0.5× raw) applies to the uncontended levels.',
      ].join('\n'),
      contestants: [
        { name: 'raw node-zookeeper-client recipe', description: 'see above' },
        { name: LOCKER, description: 'ZooKeeperLockBackend, one session' },
        { name: LOCKER_FAIR, description: `fair: true, ${CONTENDED} sessions` },
      ],
      ...report,
    };
  },
};

/** Workers taking turns on one key, each through `adapterOf(worker)`. */
function oneKey(
  name: string,
  description: string,
  adapterOf: (worker: number) => LockAdapter,
): Contestant {
  return {
    name,
    description,
    async op(worker) {
      const lock = await adapterOf(worker).acquire('bench:zk:contended', TTL_MS);
      await lock.release();
    },
  };
}
