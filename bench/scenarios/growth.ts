import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { nestjsLockerRenewing } from '../contestants/nestjs-locker.js';
import { growthSection, type Measured } from '../growth/growth-exponent.js';
import {
  claimTicks,
  type LeftBehind,
  lockEachOnce,
  postgresStore,
  redisStore,
} from '../growth/key-count.js';
import { claimSection, keyCountSection, leftSummary } from '../growth/key-count-sections.js';
import { deleteRedisKeys } from '../growth/store-footprint.js';
import { holdAndRenew, type RenewalRound } from '../hold-and-renew.js';
import { readServerInfo } from '../redis-info.js';
import { formatMs, formatOps } from '../report/table.js';
import type { BenchContext, Chart, Scenario, ScenarioReport, Section } from '../scenario.js';
import { median } from '../stats.js';

/**
 * Each store's time for the distinct keys: a store too slow for all of them within it reports how
 * many it reached (Postgres made 14,000 to 25,000 a second in quick runs: 40 to 70 s for 1M).
 */
const KEYS_BUDGET_MS = 180_000;
/** How long a claim of the cron section lives: short, so that the run waits little for it. */
const CLAIM_TTL_MS = 500;

/** The sizes one run tries: a quick run the smaller ones, so that it stays a smoke test. */
function sizes(quick: boolean) {
  return {
    heldLocks: quick ? [1_000, 10_000] : [1_000, 10_000, 100_000],
    // Renewal period ttl / 3: 2 s periods, 6 in the full window (1 s and 3 in a quick one).
    ttlMs: quick ? 3_000 : 6_000,
    windowMs: quick ? 3_000 : 12_000,
    rounds: quick ? 1 : 3,
    distinctKeys: quick ? 10_000 : 1_000_000,
    ticks: quick ? 1_000 : 10_000,
  };
}

/**
 * Cost as work grows: nestjs-locker alone renewing 1k, 10k and 100k held locks on one Redis
 * (round trips, Redis CPU and memory, event-loop lag, heap per held lock), then what distinct keys
 * leave in the store once released (Redis fence keys, Postgres lease rows) and what a
 * `@SingletonCron` job's tick claims leave once their ttl has passed.
 */
export const growth: Scenario = {
  name: 'growth',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const plan = sizes(context.quick);
    const renewals = await renewalByHeldLocks(context, plan);
    const redis = redisStore(context.redisUrl);
    const postgres = postgresStore(context.postgresUrl);
    const keys: LeftBehind[] = [];
    for (const store of [redis, postgres]) {
      context.log(`  growth: ${store.name}, ${plan.distinctKeys} distinct keys locked once`);
      keys.push(await lockEachOnce(store, plan.distinctKeys, KEYS_BUDGET_MS, context.log));
    }
    const claims: LeftBehind[] = [];
    for (const store of [redis, postgres]) {
      context.log(`  growth: ${store.name}, ${plan.ticks} cron ticks claimed`);
      claims.push(await claimTicks(store, plan.ticks, CLAIM_TTL_MS, context.log));
    }
    const renewalGrowth = growthSection(renewals.measured);
    return {
      name: 'growth',
      title: 'Cost as work grows',
      description: [
        'nestjs-locker alone, with nothing else running. First, one process holds 1,000, 10,000 and',
        `(full run) 100,000 locks on one local Redis and keeps them renewed; then ${formatOps(plan.distinctKeys)}`,
        'distinct keys on Redis and on Postgres are each locked once and released (within 3 min a store),',
        `and ${formatOps(plan.ticks)} ticks of one \`@SingletonCron\` job are claimed, to see what each leaves in the store.`,
        `As measured here: ${renewalGrowth.summary}. ${leftSummary(keys)}`,
      ].join('\n'),
      contestants: [
        { name: nestjsLockerRenewing.name, description: nestjsLockerRenewing.description },
      ],
      sections: [
        renewals.section,
        renewalGrowth.section,
        keyCountSection(keys, plan.distinctKeys, KEYS_BUDGET_MS),
        claimSection(claims, CLAIM_TTL_MS),
      ],
      charts: [renewals.chart],
    };
  },
};

async function renewalByHeldLocks(
  context: BenchContext,
  plan: ReturnType<typeof sizes>,
): Promise<{ section: Section; measured: Measured[]; chart: Chart }> {
  const { heldLocks, ttlMs, windowMs, rounds } = plan;
  const contestant = nestjsLockerRenewing;
  const info = new Redis(context.redisUrl);
  const byCount = new Map<number, RenewalRound[]>(heldLocks.map((n) => [n, []]));
  let idleCpuMsPerSec = Number.NaN;
  try {
    idleCpuMsPerSec = await idleRedisCpu(info, windowMs);
    for (let round = 0; round < rounds; round++) {
      for (const locks of heldLocks) {
        const result = await holdAndRenew(contestant, context.redisUrl, info, {
          locks,
          ttlMs,
          windowMs,
          keyOf: (i) => `bench:growth:renewal:${round}:${locks}:${i}`,
        });
        byCount.get(locks)!.push(result);
        context.log(
          `  growth round ${round + 1}/${rounds}: ${locks} held, ${Math.round(result.roundTripsPerSec)} round trips/s, Redis CPU ${Math.round(result.redisCpuMsPerSec)} ms/s, loop delay p99 ${formatMs(result.loopDelayP99Ms)} ms`,
        );
      }
    }
  } finally {
    // The fence keys of released locks would stay 10 min: no later scenario should pay for them.
    await deleteRedisKeys(info, '{bench:growth:renewal:*');
    await info.quit();
  }
  const gc = (globalThis as { gc?: () => void }).gc !== undefined;
  const measured = heldLocks.map((locks): Measured => {
    const rows = byCount.get(locks)!;
    const of = (pick: (r: RenewalRound) => number): number => median(rows.map(pick));
    const roundTripsPerSec = of((r) => r.roundTripsPerSec);
    // Each held lock renewed once a period: the per-renewal figures are the totals over this.
    const renewalsPerSec = locks / (contestant.periodMs(ttlMs) / 1000);
    const serverCommandsPerSec = of((r) => r.serverCommandsPerSec);
    const redisCpuMsPerSec = of((r) => r.redisCpuMsPerSec);
    return {
      locks,
      lost: rows.reduce((sum, r) => sum + r.lost, 0),
      figures: {
        'round trips/s': roundTripsPerSec,
        'Redis commands/s': serverCommandsPerSec,
        'Redis commands per renewal': serverCommandsPerSec / renewalsPerSec,
        'round trips per 100 locks per renewal period':
          (roundTripsPerSec * contestant.periodMs(ttlMs)) / 1000 / (locks / 100),
        'Redis CPU ms/s': redisCpuMsPerSec,
        'Redis CPU µs per renewal': ((redisCpuMsPerSec - idleCpuMsPerSec) * 1000) / renewalsPerSec,
        'loop delay p50 ms': of((r) => r.loopDelayP50Ms),
        'loop delay p99 ms': of((r) => r.loopDelayP99Ms),
        'loop delay max ms': of((r) => r.loopDelayMaxMs),
        'heap bytes per held lock': gc ? of((r) => r.bytesPerLock) : Number.NaN,
        'Redis bytes per held lock': of((r) => r.redisBytesPerLock),
      },
    };
  });
  const chart: Chart = {
    file: 'growth-loop-delay',
    title: 'Event-loop delay of the holding process while it renews, by held locks',
    axis: 'event-loop delay (ms; each round’s whole percentiles 1–100)',
    series: heldLocks.map((locks) => ({
      name: `${formatOps(locks)} held`,
      values: byCount.get(locks)!.flatMap((round) => round.loopDelayPercentilesMs),
    })),
  };
  const columns = Object.keys(measured[0]!.figures);
  const section: Section = {
    title: `Renewal by held locks, ttl ${ttlMs} ms, ${windowMs} ms measured`,
    table: {
      header: ['held locks', ...columns, 'lost'],
      align: ['right', ...columns.map(() => 'right' as const), 'right'],
      rows: measured.map((m) => [
        formatOps(m.locks),
        ...columns.map((column) => formatFigure(column, m.figures[column]!)),
        String(m.lost),
      ]),
    },
    notes: [
      `Medians over ${rounds} round${rounds === 1 ? '' : 's'}, the sizes taking turns. Figures as in the renewal table (renewal period: ttl / 3). Redis CPU: \`used_cpu_sys\` + \`used_cpu_user\` (\`INFO cpu\`) over the window, in ms per second (1,000 = one core busy). Per renewal: over the held locks ÷ the period, each lock renewed once a period; the CPU less Redis's own with nothing held (${formatMs(idleCpuMsPerSec)} ms/s over one window before the rounds). Redis bytes per held lock: growth of \`used_memory\` from before the acquires to the window's start (the lease key and its fence key). Heap bytes per held lock: after a full GC${gc ? '' : ' (run with --expose-gc to measure it)'}.`,
    ],
  };
  return { section, measured, chart };
}

/** Redis's CPU with no client but `info` at work (its timers, expiry cycle), in ms per second. */
async function idleRedisCpu(info: Redis, windowMs: number): Promise<number> {
  const before = await readServerInfo(info);
  const startedAt = performance.now();
  await sleep(windowMs);
  const after = await readServerInfo(info);
  return ((after.cpuSec - before.cpuSec) * 1e6) / (performance.now() - startedAt);
}

function formatFigure(column: string, value: number): string {
  if (column.endsWith(' ms')) return formatMs(value);
  if (column.startsWith('round trips per 100') || column.endsWith(' per renewal')) {
    return value.toFixed(2);
  }
  return formatOps(value);
}
