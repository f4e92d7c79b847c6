import { compare, comparisonTargets, type RatioTarget } from './comparison.js';
import { latencyChart } from './latency-chart.js';
import { type Contestant, measure } from './measure.js';
import { comparisonTable } from './report/comparison-table.js';
import type { BenchContext, Chart, Section, TargetResult } from './scenario.js';

/**
 * One concurrency level of a scenario: its target ratio and which contestants it applies to (none:
 * the figures are for reference).
 */
export interface ConcurrencyLevel {
  readonly concurrency: number;
  readonly target?: RatioTarget;
}

/** What a scenario reports of its levels: a table, a chart and the target verdicts per level. */
export interface LevelsReport {
  readonly sections: Section[];
  readonly charts: Chart[];
  readonly targets: TargetResult[];
}

/**
 * Measures `contestants` at each concurrency level against `baseline` (the first contestant's
 * name) and turns each level into a comparison table, a latency chart named
 * `<scenario>-c<concurrency>-latency` and its target verdicts.
 */
export async function measureConcurrencyLevels(
  context: BenchContext,
  scenario: { readonly name: string; readonly title: string },
  contestants: readonly Contestant[],
  levels: readonly ConcurrencyLevel[],
): Promise<LevelsReport> {
  const report: LevelsReport = { sections: [], charts: [], targets: [] };
  const baseline = contestants[0]!.name;
  for (const { concurrency, target } of levels) {
    context.log(`${scenario.name}, concurrency ${concurrency}`);
    const measurements = await measure(contestants, concurrency, context.plan, context.log);
    const comparison = compare(
      {
        title: `Concurrency ${concurrency}`,
        baseline,
        ratioLabel: '× raw',
        ...(target ? { target } : {}),
      },
      measurements,
    );
    report.sections.push({ title: comparison.title, table: comparisonTable(comparison) });
    report.targets.push(
      ...comparisonTargets(comparison, `${scenario.name}, concurrency ${concurrency}`),
    );
    report.charts.push(
      latencyChart(
        `${scenario.name}-c${concurrency}-latency`,
        `${scenario.title}, concurrency ${concurrency}`,
        measurements,
      ),
    );
  }
  return report;
}
