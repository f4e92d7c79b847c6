import { performance } from 'node:perf_hooks';
import { WorkerPool } from '../contended/worker-pool.js';
import type { RoundPlan } from '../measure.js';
import type { ReadMostlyDone, ReadMostlyReady, ReadMostlyRun } from '../read-mostly/protocol.js';
import { chartOf, type StoreInfo, sectionOf } from '../read-mostly/report.js';
import { addRound, newTally, type Tally } from '../read-mostly/tally.js';
import {
  ARMS,
  type ArmInfo,
  HOLD_MS,
  LOOPS,
  PERMITS,
  PROCESSES,
  READ_SHARE,
  ROUND_TRIPS,
  TTL_MS,
} from '../read-mostly/workload.js';
import { formatMs } from '../report/table.js';
import { postgresRoundTripMs, redisRoundTripMs } from '../round-trip.js';
import type { BenchContext, Chart, Scenario, ScenarioReport, Section } from '../scenario.js';

/** The compiled worker, in the benchmark's build output. */
const WORKER = new URL('../read-mostly/worker.js', import.meta.url);

/** A store the scenario runs on. */
interface Store extends StoreInfo {
  roundTripMs(): Promise<number>;
}

/**
 * Read-mostly workload: eight separate processes, four loops each, on one key; 95 % of the ops
 * read, the rest write, each holding the key for 2 ms of I/O-bound work. Read-write locks against
 * the plain mutex in the same run: reads should scale with the readers, writes stay exclusive.
 */
export const readMostly: Scenario = {
  name: 'read-mostly',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const stores: Store[] = [
      {
        store: 'redis',
        title: 'Redis',
        roundTripMs: () => redisRoundTripMs(context.redisUrl, ROUND_TRIPS),
      },
      {
        store: 'postgres',
        title: 'Postgres',
        roundTripMs: () => postgresRoundTripMs(context.postgresUrl, ROUND_TRIPS),
      },
    ];
    const pool = await WorkerPool.start<ReadMostlyRun, ReadMostlyReady, ReadMostlyDone>(
      WORKER,
      PROCESSES,
      (index) => [context.redisUrl, context.postgresUrl, String(index)],
    );
    const sections: Section[] = [];
    const charts: Chart[] = [];
    try {
      for (const store of stores) {
        const rttMs = await store.roundTripMs();
        const readWrite = pool.ready.every((ready) => ready.readWrite.includes(store.store));
        const arms = ARMS.filter((info) => readWrite || info.arm !== 'read-write');
        context.log(
          `read-mostly on ${store.title}, ${PROCESSES} processes × ${LOOPS} loops; round trip ${formatMs(rttMs)} ms${readWrite ? '' : '; no read-write locks on this backend, that arm skipped'}`,
        );
        const tallies = await measureStore(pool, store, arms, context.plan, context.log);
        sections.push(sectionOf(store, rttMs, tallies, readWrite));
        charts.push(chartOf(store, tallies));
      }
    } finally {
      await pool.stop();
    }
    return {
      name: 'read-mostly',
      title: 'Read-mostly workload',
      description: DESCRIPTION,
      contestants: ARMS.map(({ name, description }) => ({ name, description })),
      sections,
      charts,
    };
  },
};

const DESCRIPTION = [
  `${PROCESSES} separate Node processes run ${LOOPS} concurrent loops each (${PROCESSES * LOOPS} in all)`,
  `over one shared key: an op is a read with probability ${READ_SHARE}, else a write; it acquires,`,
  `holds the key for ${HOLD_MS} ms of work, and releases. The work is an async wait (a timer), not`,
  'a busy loop: read locks are for I/O-bound reads (a query, a file, a call) during which the',
  `process could serve others, and with ${PROCESSES * LOOPS} holders on 2 cores a busy hold would make`,
  'readers take turns for the CPU rather than the lock. The arms below run the same workload in',
  'the same run, in rounds in a rotating order, on Redis and on Postgres; every worker has one',
  '`LockManager` per store, on `new RedisLockBackend({ url })` and `new PostgresLockBackend({',
  'connectionString })` with their defaults, and acquires with `wait: 60000`.',
  '',
  'Ops/s: holds by all processes per second; reads/s and writes/s split it (medians over',
  'rounds); × mutex: the arm’s ops/s over the mutex’s in the same round, median (and range) over',
  'rounds. Ceiling: for the mutex, one hold per hold time plus one round trip (hand-offs in',
  `series); for the shared arms, every loop always holding: ${PROCESSES * LOOPS} / (hold + 2 round trips),`,
  'an acquire and a release per op, ignoring writes (each empties the key) and the CPU. Readers:',
  'read holds held at one instant, peak and mean (time-weighted, over the time the key was',
  'read-held), from the hold intervals every worker reports on CLOCK_MONOTONIC, one clock for',
  'all processes: an interval runs from the acquire’s answer to the release’s call, so it lies',
  'inside the store’s hold and overlaps are never overstated. Waits: from calling acquire to',
  'holding, over every op of every round. Violations: holds that began while a hold they',
  'exclude, or that excludes them, was held (a write overlapping anything; for the mutex any',
  'overlap); they must be 0. Every process, Redis and Postgres share the machine’s 2 cores:',
  'the shared arms are bound by the CPU long before their ceiling. Reads scale only between',
  `writes: with ${PROCESSES * LOOPS} loops and ${Math.round((1 - READ_SHARE) * 100)} % writes a writer arrives every ~${Math.round(1 / (1 - READ_SHARE))} ops, and each one`,
  'waits for the readers to leave, holds the key alone and then wakes the readers queued behind',
  'it, so the read-write arm alternates read phases and write phases; the reads-only semaphore',
  'shows what the same holds cost with no writer at all.',
].join('\n');

/** Warm-up, then rounds of every arm in a rotating order, on `store`. */
async function measureStore(
  pool: WorkerPool<ReadMostlyRun, ReadMostlyReady, ReadMostlyDone>,
  { store }: Store,
  arms: readonly ArmInfo[],
  plan: RoundPlan,
  log: (message: string) => void,
): Promise<Tally[]> {
  const runOf = (info: ArmInfo, key: string, durationMs: number): ReadMostlyRun => ({
    store,
    arm: info.arm,
    key,
    durationMs,
    loops: LOOPS,
    readShare: info.readShare,
    holdMs: HOLD_MS,
    ttlMs: TTL_MS,
    permits: PERMITS,
  });
  for (const info of arms) {
    await pool.run(runOf(info, `bench:read-mostly:${store}:warmup:${info.arm}`, plan.warmupMs));
  }
  const tallies = arms.map(newTally);
  for (let round = 0; round < plan.rounds; round++) {
    const line: string[] = [];
    for (let k = 0; k < tallies.length; k++) {
      const tally = tallies[(round + k) % tallies.length]!;
      const key = `bench:read-mostly:${store}:${round}:${tally.info.arm}`;
      const startedAt = performance.now();
      const done = await pool.run(runOf(tally.info, key, plan.roundMs));
      const elapsedMs = performance.now() - startedAt;
      addRound(tally, done, elapsedMs);
      line.push(`${tally.info.arm} ${Math.round(tally.opsPerSec.at(-1)!)}`);
    }
    log(`  round ${round + 1}/${plan.rounds}: ${line.join(', ')} ops/s`);
  }
  return tallies;
}
