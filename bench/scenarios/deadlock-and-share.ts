import {
  CALLERS_PER_INSTANCE,
  INSTANCES,
  type MergedCalls,
  measureMergedCalls,
} from '../deadlock-and-share/merged-calls.js';
import {
  memoryViews,
  postgresViews,
  redisViews,
  type StoreViews,
} from '../deadlock-and-share/store-views.js';
import { measureWaitCost, type WaitCost } from '../deadlock-and-share/wait-cost.js';
import { formatMs } from '../report/table.js';
import type { BenchContext, Scenario, ScenarioReport, Section } from '../scenario.js';
import { percentile, sortedCopy } from '../stats.js';

/** How long the other instance holds the key a waiter waits for, in ms. */
const HOLD_MS = 5;
const CALL_LENGTHS_MS = [10, 50, 200];

/**
 * Deadlock detection and merged calls: what detection adds to a wait of a chain that holds a lock
 * (and to an acquire that does not wait), on against off; and how long 32 callers of `share` on
 * 8 instances wait for one run of a call, against one caller alone.
 */
export const deadlockAndShare: Scenario = {
  name: 'deadlock-and-share',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const stores: StoreViews[] = [
      memoryViews(),
      redisViews(context.redisUrl),
      postgresViews(context.postgresUrl),
    ];
    const iterations = context.quick ? 20 : 300;
    const bursts = context.quick ? 3 : context.plan.rounds * 2;
    const waitRows: string[][] = [];
    const shareRows: string[][] = [];
    const handOffs: { name: string; values: Float64Array }[] = [];
    const merges: { name: string; values: Float64Array }[] = [];
    const skipped: string[] = [];
    try {
      for (const views of stores) {
        context.log(`deadlock-and-share on ${views.title}: ${iterations} waits per arm`);
        const costs = await measureWaitCost(views, iterations, HOLD_MS);
        for (const cost of costs ?? []) {
          handOffs.push({
            name: `${views.title}, detection ${cost.detection}`,
            values: cost.handOffMs,
          });
        }
        if (costs) waitRows.push(...costs.map((cost) => waitRow(views.title, cost)));
        else skipped.push(`${views.title} has no waits-for graph: no detection rows`);
        context.log(`  ${bursts} bursts of ${INSTANCES * CALLERS_PER_INSTANCE} callers per length`);
        const merged = await measureMergedCalls(views, CALL_LENGTHS_MS, bursts).catch(
          (error: unknown) => {
            skipped.push(`${views.title}: no merged-call rows (${String(error)})`);
            return [];
          },
        );
        shareRows.push(...merged.map((m) => shareRow(views.title, m)));
        for (const m of merged) {
          merges.push({ name: `${views.title}, ${m.callMs} ms call`, values: m.callersMs });
        }
      }
    } finally {
      await Promise.all(stores.map((views) => views.close()));
    }
    const sections: Section[] = [
      {
        title: 'deadlock detection, cost per wait',
        table: {
          header: [
            'Store',
            'Detection',
            'Wait p50 (ms)',
            'Wait p99 (ms)',
            'Hand-off p50 (ms)',
            'Hand-off p99 (ms)',
            'Round trips / wait',
            'No wait p50 (ms)',
            'No wait p99 (ms)',
            'Round trips / no wait',
          ],
          align: ['left', 'left', ...Array<'right'>(8).fill('right')],
          rows: waitRows,
        },
        notes: skipped,
      },
      {
        title: `merged calls, ${INSTANCES} instances × ${CALLERS_PER_INSTANCE} callers`,
        table: {
          header: [
            'Store',
            'Call (ms)',
            'Alone p50 (ms)',
            'Callers p50 (ms)',
            'Callers p99 (ms)',
            'Callers max (ms)',
            'Runs per burst',
            'Wrong results',
          ],
          align: ['left', ...Array<'right'>(7).fill('right')],
          rows: shareRows,
        },
      },
    ];
    return {
      name: 'deadlock-and-share',
      title: 'Deadlock detection and merged calls',
      description: description(iterations, bursts),
      contestants: [],
      sections,
      charts: [
        {
          file: 'deadlock-hand-off',
          title: 'Deadlock detection: hand-off to a waiting chain, detection on and off',
          axis: 'from the holder’s release to the waiter holding (ms)',
          series: handOffs,
        },
        {
          file: 'share-callers',
          title: `Merged calls: wait of each of ${INSTANCES * CALLERS_PER_INSTANCE} callers`,
          axis: 'from calling share to its result (ms)',
          series: merges,
        },
      ],
    };
  },
};

function waitRow(store: string, cost: WaitCost): string[] {
  const wait = sortedCopy(cost.waitMs);
  const handOff = sortedCopy(cost.handOffMs);
  const free = sortedCopy(cost.uncontendedMs);
  return [
    store,
    cost.detection,
    formatMs(percentile(wait, 50)),
    formatMs(percentile(wait, 99)),
    formatMs(percentile(handOff, 50)),
    formatMs(percentile(handOff, 99)),
    cost.roundTripsPerWait.toFixed(1),
    formatMs(percentile(free, 50)),
    formatMs(percentile(free, 99)),
    cost.roundTripsPerUncontended.toFixed(1),
  ];
}

function shareRow(store: string, merged: MergedCalls): string[] {
  const callers = sortedCopy(merged.callersMs);
  const runs = merged.runsPerBurst;
  const [least, most] = [Math.min(...runs), Math.max(...runs)];
  return [
    store,
    String(merged.callMs),
    formatMs(percentile(sortedCopy(merged.aloneMs), 50)),
    formatMs(percentile(callers, 50)),
    formatMs(percentile(callers, 99)),
    formatMs(callers[callers.length - 1] ?? Number.NaN),
    least === most ? String(least) : `${least}–${most}`,
    String(merged.mismatches),
  ];
}

function description(iterations: number, bursts: number): string {
  return [
    '**Deadlock detection.** Three `LockManager`s per store in one process, each on a backend of',
    'its own (its own Redis client or `pg.Pool`, as separate instances would have): a holder, and',
    'two waiters, one with detection on (the default) and one with `detectDeadlocks: false`. A wait:',
    `the holder takes \`contended\`; the waiter, inside \`using('held')\`, acquires it with a wait;`,
    `${HOLD_MS} ms after that call the holder releases it. Such a waiter holds a lock, so with`,
    'detection on it publishes its wait to the store after its first missed attempt and withdraws it',
    'once granted (in the background). Wait: from the acquire call to holding; hand-off: from the',
    `release call to holding. ${iterations} waits per arm, the arms alternating. Round trips / wait:`,
    'everything the waiter sent for one iteration (the held lock’s acquire and release, the',
    'attempts, the publish and withdraw), Redis commands on its client or statements on its pool’s',
    'connections (wake-ups arrive on a separate subscriber or LISTEN connection, not counted); for',
    'memory, backend calls. No wait: a free key acquired and released inside a held lock, which',
    'publishes nothing: on and off should match.',
    '',
    `**Merged calls.** ${INSTANCES} managers per store (instances) in one process, ${CALLERS_PER_INSTANCE} callers on each`,
    `call \`share(key, call)\` at the same instant on a fresh key, ${bursts} bursts per call length;`,
    'the call waits the given time and returns a small JSON value unique to its run. Alone: one',
    'caller calling `share` with nobody else (a lock, the call, the stored result, the release).',
    'Callers: every caller of every burst, from its call to its result, the one that ran included.',
    'Runs per burst must be 1; wrong results counts bursts where a caller got another value.',
    'Callers on one instance join its run in memory; across instances they wait for the key’s',
    'release and then read the stored result (one round trip each, side by side).',
  ].join('\n');
}
