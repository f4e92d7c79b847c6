import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Locked, LockModule, LockService, RedisLockBackend } from '../../lib/index.js';
import { compare, comparisonTargets } from '../comparison.js';
import { latencyChart } from '../latency-chart.js';
import { type Contestant, measure } from '../measure.js';
import { comparisonTable } from '../report/comparison-table.js';
import type {
  BenchContext,
  Chart,
  Scenario,
  ScenarioReport,
  Section,
  TargetResult,
} from '../scenario.js';

const BASELINE = 'LockService.using';
const DECORATED = '@Locked method';
/** `@Locked` may cost at most 3 % of throughput against calling `LockService.using` directly. */
const TARGET_RATIO = 0.97;
const CONCURRENCY = [1, 64];

@Injectable()
class Work {
  @Locked('bench:decorated:{0}', { ttl: 10_000 })
  async run(_worker: number): Promise<number> {
    return 1;
  }
}

/**
 * `@Locked()` overhead: the same locked no-op, once through a decorated provider method and once
 * through `LockService.using`, in one Nest application on one Redis connection.
 */
export const decoratorOverhead: Scenario = {
  name: 'decorator',
  async run(context: BenchContext): Promise<ScenarioReport> {
    @Module({
      imports: [LockModule.forRoot({ backend: new RedisLockBackend({ url: context.redisUrl }) })],
      providers: [Work],
    })
    class BenchModule {}
    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const work = app.get(Work);
    const locks = app.get(LockService);
    const contestants: Contestant[] = [
      {
        name: BASELINE,
        description: "`locks.using('bench:using:' + worker, async () => 1)`; the baseline.",
        async op(worker) {
          await locks.using(`bench:using:${worker}`, async () => 1);
        },
      },
      {
        name: DECORATED,
        description: "`work.run(worker)` where `run` is `@Locked('bench:decorated:{0}')`.",
        async op(worker) {
          await work.run(worker);
        },
      },
    ];
    const sections: Section[] = [];
    const charts: Chart[] = [];
    const targets: TargetResult[] = [];
    try {
      for (const concurrency of CONCURRENCY) {
        context.log(`decorator overhead, concurrency ${concurrency}`);
        const measurements = await measure(contestants, concurrency, context.plan, context.log);
        const comparison = compare(
          {
            title: `Concurrency ${concurrency}`,
            baseline: BASELINE,
            ratioLabel: '× using',
            target: { ratio: TARGET_RATIO, appliesTo: [DECORATED] },
          },
          measurements,
        );
        sections.push({ title: comparison.title, table: comparisonTable(comparison) });
        targets.push(...comparisonTargets(comparison, `concurrency ${concurrency}`));
        charts.push(
          latencyChart(
            `decorator-c${concurrency}-latency`,
            `@Locked vs LockService.using, concurrency ${concurrency}`,
            measurements,
          ),
        );
      }
    } finally {
      await app.close();
    }
    return {
      name: 'decorator',
      title: '@Locked overhead',
      description: [
        'A locked no-op on a per-worker key (uncontended), through a `@Locked()` provider method',
        'against `LockService.using` directly, in one Nest application context with the Redis',
        'backend. "× using" is ops/s over `LockService.using` in the same round; the target is at',
        'most 3 % overhead.',
      ].join('\n'),
      contestants,
      sections,
      charts,
      targets,
    };
  },
};
