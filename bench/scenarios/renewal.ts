import { Redlock as SesameRedlock } from '@sesamecare-oss/redlock';
import { Redis } from 'ioredis';
import RedlockBeta from 'redlock-beta';
import { nestjsLockerRenewing } from '../contestants/nestjs-locker.js';
import { redisSemaphore } from '../contestants/redis-semaphore.js';
import { redlockV5 } from '../contestants/redlock-v5.js';
import { holdAndRenew, type RenewalRound, type RenewingContestant } from '../hold-and-renew.js';
import { formatMs, formatOps, formatVerdict } from '../report/table.js';
import type { BenchContext, Scenario, ScenarioReport, Section, TargetResult } from '../scenario.js';
import { median } from '../stats.js';

const LOCKS = 10_000;
/** At most this many round trips per 100 held locks per renewal period. */
const TARGET_ROUND_TRIPS_PER_100 = 1;
const LOCKER = nestjsLockerRenewing.name;

/** redlock 5 and its fork renew the same way: `using()` held open, extend 500 ms before expiry. */
function redlockV5Contestant(
  name: string,
  description: string,
  create: Parameters<typeof redlockV5>[2],
): RenewingContestant {
  return {
    name,
    description,
    periodMs: (ttlMs) => ttlMs - 500,
    open(url) {
      const client = new Redis(url);
      return { client, adapter: redlockV5(name, 'new Redlock', create, [client]) };
    },
  };
}

const CONTESTANTS: readonly RenewingContestant[] = [
  nestjsLockerRenewing,
  {
    name: 'redis-semaphore Mutex',
    description:
      '`new Mutex(client, key, { lockTimeout: ttl })`, `acquire()`: one `setInterval` per lock, one `EVALSHA` per lock per refresh. Renewal period: 0.8 × ttl (its default `refreshInterval`).',
    periodMs: (ttlMs) => ttlMs * 0.8,
    open(url) {
      const client = new Redis(url);
      return { client, adapter: redisSemaphore([client]) };
    },
  },
  redlockV5Contestant(
    '@sesamecare-oss/redlock',
    '`redlock.using([key], ttl, routine)` held open: one timer per lock, one extend per lock 500 ms before expiry. Renewal period: ttl − 500 ms.',
    (servers, settings) => new SesameRedlock(servers, settings),
  ),
  redlockV5Contestant(
    'redlock 5.0.0-beta.2',
    'As @sesamecare-oss/redlock (its fork): `using()`, renewal period ttl − 500 ms.',
    (servers, settings) => new RedlockBeta(servers, settings),
  ),
];

/**
 * Renewal at scale: hold 10,000 locks at once and keep them alive for a few renewal periods. How
 * many round trips it costs (the store's load), how much the renewal stalls the event loop, and
 * how much memory a held lock takes.
 */
export const renewal: Scenario = {
  name: 'renewal',
  async run(context: BenchContext): Promise<ScenarioReport> {
    // Not shorter in a quick run: redlock 5 renews 500 ms before expiry, and with a 1.5 s ttl its
    // first leases ran out while the last of the 10,000 were still being taken (its using() then
    // retried forever on a loaded machine).
    const ttlMs = 3_000;
    const windowMs = context.quick ? ttlMs : 2 * ttlMs;
    const rounds = context.quick ? 1 : 3;
    const gc = (globalThis as { gc?: () => void }).gc;
    const info = new Redis(context.redisUrl);
    const results = new Map<string, RenewalRound[]>(CONTESTANTS.map((c) => [c.name, []]));
    try {
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < CONTESTANTS.length; k++) {
          const contestant = CONTESTANTS[(round + k) % CONTESTANTS.length]!;
          const result = await holdAndRenew(contestant, context.redisUrl, info, {
            locks: LOCKS,
            ttlMs,
            windowMs,
            keyOf: (i) => `bench:renewal:${round}:${contestant.name}:${i}`,
          });
          results.get(contestant.name)!.push(result);
          context.log(
            `  renewal round ${round + 1}/${rounds}: ${contestant.name} ${Math.round(result.roundTripsPerSec)} round trips/s, loop delay p99 ${formatMs(result.loopDelayP99Ms)} ms`,
          );
        }
      }
    } finally {
      await info.quit();
    }
    const targets: TargetResult[] = [];
    const section: Section = {
      title: `${formatOps(LOCKS)} held locks, ttl ${ttlMs} ms, ${windowMs} ms measured`,
      table: {
        header: [
          'Contestant',
          'round trips/s',
          'Redis commands/s',
          'round trips per 100 locks per renewal period',
          'loop delay p50 ms',
          'loop delay p99 ms',
          'loop delay max ms',
          'bytes per held lock',
          'lost',
          `target ≤ ${TARGET_ROUND_TRIPS_PER_100}`,
        ],
        align: [
          'left',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'left',
        ],
        rows: CONTESTANTS.map((contestant) => {
          const rows = results.get(contestant.name)!;
          const of = (pick: (r: RenewalRound) => number): number => median(rows.map(pick));
          const roundTripsPerSec = of((r) => r.roundTripsPerSec);
          const per100 = (roundTripsPerSec * contestant.periodMs(ttlMs)) / 1000 / (LOCKS / 100);
          if (contestant.name === LOCKER) {
            targets.push({
              what: `${LOCKER}, round trips per 100 held locks per renewal period`,
              target: `≤ ${TARGET_ROUND_TRIPS_PER_100}`,
              result: per100.toFixed(2),
              met: per100 <= TARGET_ROUND_TRIPS_PER_100,
            });
          }
          return [
            contestant.name,
            formatOps(roundTripsPerSec),
            formatOps(of((r) => r.serverCommandsPerSec)),
            per100.toFixed(2),
            formatMs(of((r) => r.loopDelayP50Ms)),
            formatMs(of((r) => r.loopDelayP99Ms)),
            formatMs(of((r) => r.loopDelayMaxMs)),
            gc ? formatOps(of((r) => r.bytesPerLock)) : 'run with --expose-gc',
            String(rows.reduce((sum, r) => sum + r.lost, 0)),
            contestant.name === LOCKER ? formatVerdict(per100 <= TARGET_ROUND_TRIPS_PER_100) : '',
          ];
        }),
      },
      notes: [
        `Medians over ${rounds} round${rounds === 1 ? '' : 's'}. Round trips: commands the client sent (a script call is one). Redis commands: what the server executed, the calls inside scripts included. Renewal period: each library's own, listed above. Loop delay: how late the event loop ran a 1 ms timer (\`monitorEventLoopDelay\`, less its 1 ms interval) over the measured window. Bytes per held lock: heap growth after a full GC, over ${formatOps(LOCKS)} locks. Lost: releases that found the lock gone, over all rounds.`,
      ],
    };
    return {
      name: 'renewal',
      title: 'Renewal at scale',
      description: [
        `One process holds ${formatOps(LOCKS)} locks at once on one Redis and keeps them renewed for`,
        'a few renewal periods; nothing else runs. The target: nestjs-locker renews in batches, at',
        'most one round trip per 100 held locks per renewal period. The peers with automatic',
        'renewal are shown for comparison (redlock 4 has none).',
      ].join('\n'),
      contestants: CONTESTANTS,
      sections: [section],
      charts: [
        {
          file: 'renewal-loop-delay',
          title: `Event-loop delay while holding ${formatOps(LOCKS)} renewed locks`,
          axis: 'event-loop delay (ms; each round’s whole percentiles 1–100)',
          series: CONTESTANTS.map((contestant) => ({
            name: contestant.name,
            values: results.get(contestant.name)!.flatMap((r) => r.loopDelayPercentilesMs),
          })),
        },
      ],
      targets,
    };
  },
};
