import { Redis } from 'ioredis';
import {
  EtcdLockBackend,
  type Lock,
  type LockBackend,
  LockDashboard,
  LockManager,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
  ZooKeeperLockBackend,
} from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { inParallel } from '../in-parallel.js';
import { formatMs } from '../report/table.js';
import type { BenchContext, Scenario, ScenarioReport, Section } from '../scenario.js';
import { percentile, sortedCopy } from '../stats.js';

const TTL_MS = 20_000;
/** Acquires in flight at once while taking the held locks. */
const IN_FLIGHT = 128;
/** The record is one timer per manager, not a cost per lock: within the noise of paired rounds here (±5 %). */
const PRESENCE_TARGET = 0.95;
const WITHOUT = 'nestjs-locker, presence off';
const WITH = 'nestjs-locker, presence on (record every 2 s)';

/** One store to list: how to open a backend on it, and the held-lock counts to try. */
interface ListedStore {
  readonly name: string;
  readonly counts: readonly number[];
  open(): Promise<LockBackend>;
}

/** One row: a snapshot's cost with `held` locks in the store. */
interface SnapshotRow {
  readonly store: string;
  readonly held: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly listed: number;
  readonly recordBytes: number;
}

/**
 * The lock dashboard's costs: how long one snapshot (the store's listing of every lease under the
 * prefix plus every instance's record) takes as the number of held locks grows, on each store; and
 * what the instance record (`presence`, on by default in `LockModule`) costs the lock path:
 * uncontended acquire + release with it on against it off, on Redis.
 */
export const dashboard: Scenario = {
  name: 'dashboard',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const presence = await presenceOverhead(context);
    const stores = await listedStores(context);
    const rows: SnapshotRow[] = [];
    for (const store of stores) {
      for (const held of store.counts) rows.push(await snapshotCost(context, store, held));
    }
    const snapshots: Section = {
      title: 'One snapshot, by held locks',
      table: {
        header: [
          'Store',
          'held locks',
          'snapshot p50 ms',
          'snapshot max ms',
          'listed',
          'record bytes',
        ],
        align: ['left', 'right', 'right', 'right', 'right', 'right'],
        rows: rows.map((row) => [
          row.store,
          row.held.toLocaleString('en-US'),
          formatMs(row.p50Ms),
          formatMs(row.maxMs),
          row.listed.toLocaleString('en-US'),
          row.recordBytes.toLocaleString('en-US'),
        ]),
      },
      notes: [
        'One manager holds the locks (presence on, its record written before the timing); each snapshot is',
        '`LockDashboard.snapshot()` with `limit` = the held count: one listing and one read of the records,',
        `timed ${context.quick ? 3 : 10} times in a row. "record bytes": the instance record's payload (its held-lock list is cut at 500`,
        'entries, so it stays well under 64 KiB).',
      ],
    };
    return {
      name: 'dashboard',
      title: 'Lock dashboard',
      description: [
        'What the lock dashboard costs. First, the instance record `LockModule` keeps by default',
        '(`presence`): uncontended acquire + release on one local Redis with it on, against the same',
        'manager with it off (the baseline). Then one `LockDashboard.snapshot()` as the held locks grow,',
        'on every store that can list.',
      ].join('\n'),
      contestants: [
        {
          name: WITHOUT,
          description: '`new LockManager({ backend })` (presence off, the default without Nest).',
        },
        {
          name: WITH,
          description:
            '`new LockManager({ backend, presence: true })`: the record written every 2 s.',
        },
      ],
      sections: [...presence.sections, snapshots],
      charts: presence.charts,
      targets: presence.targets,
    };
  },
};

async function presenceOverhead(context: BenchContext): Promise<LevelsReport> {
  const clients = [new Redis(context.redisUrl), new Redis(context.redisUrl)];
  const adapters = [
    nestjsLocker(WITHOUT, 'presence off.', new RedisLockBackend({ client: clients[0]! })),
    nestjsLocker(
      WITH,
      'presence on.',
      new RedisLockBackend({ client: clients[1]! }),
      {},
      {
        presence: true,
      },
    ),
  ];
  const contestants = adapters.map((adapter, i) =>
    uncontendedContestant(adapter, `bench:dashboard:${i}`, TTL_MS),
  );
  try {
    return await measureConcurrencyLevels(
      context,
      { name: 'dashboard-presence', title: 'Presence on against off' },
      contestants,
      [1, 64].map((concurrency) => ({
        concurrency,
        target: { ratio: PRESENCE_TARGET, appliesTo: [WITH] },
      })),
    );
  } finally {
    await Promise.all(adapters.map((adapter) => adapter.close()));
    await Promise.all(clients.map((client) => client.quit()));
  }
}

async function listedStores(context: BenchContext): Promise<ListedStore[]> {
  const big = context.quick ? [100, 1_000] : [100, 1_000, 10_000];
  const small = context.quick ? [100] : [100, 1_000];
  const [zookeeper, etcd] = await Promise.all([
    context.consensusServer('zookeeper'),
    context.consensusServer('etcd'),
  ]);
  const memory = new MemoryLockBackend();
  return [
    { name: 'memory', counts: big, open: async () => memory },
    {
      name: 'Redis',
      counts: big,
      open: async () => new RedisLockBackend({ url: context.redisUrl }),
    },
    {
      name: 'PostgreSQL',
      counts: big,
      open: async () => new PostgresLockBackend({ connectionString: context.postgresUrl }),
    },
    // Each held lock is a lease and a key (etcd) or a node (ZooKeeper): 1 000 is already far more
    // than a deployment's dashboard usually shows.
    { name: 'etcd', counts: small, open: async () => new EtcdLockBackend({ endpoints: etcd }) },
    {
      name: 'ZooKeeper',
      counts: small,
      open: async () => new ZooKeeperLockBackend({ connectionString: zookeeper }),
    },
  ];
}

async function snapshotCost(
  context: BenchContext,
  store: ListedStore,
  held: number,
): Promise<SnapshotRow> {
  context.log(`dashboard: ${store.name}, ${held} held locks`);
  const manager = new LockManager({
    backend: await store.open(),
    keyPrefix: `bench:dashboard:${store.name}:${held}:${Date.now().toString(36)}:`,
    presence: true,
  });
  const locks: Lock[] = [];
  try {
    locks.push(
      ...(await inParallel(held, IN_FLIGHT, (i) => manager.acquire(`k${i}`, { ttl: TTL_MS }))),
    );
    await manager.refreshPresence();
    const dashboard = new LockDashboard(manager, { limit: held });
    const timings: number[] = [];
    let listed = 0;
    for (let i = 0; i < (context.quick ? 3 : 10); i++) {
      const started = performance.now();
      const snapshot = await dashboard.snapshot();
      timings.push(performance.now() - started);
      listed = snapshot.locks.length;
    }
    const records = await manager.backend.directory!.instances(manager.keyPrefix);
    const sorted = sortedCopy(timings);
    return {
      store: store.name,
      held,
      p50Ms: percentile(sorted, 50),
      maxMs: sorted[sorted.length - 1]!,
      listed,
      recordBytes: Buffer.byteLength(records.instances[0]?.payload ?? ''),
    };
  } finally {
    await inParallel(locks.length, IN_FLIGHT, (i) => locks[i]!.release());
    // The memory backend is shared by its rows: a manager would close it.
    if (store.name !== 'memory') await manager.close();
  }
}
