import type { Measurement } from './measure.js';
import type { TargetResult } from './scenario.js';
import { pairedRatios, percentile, type Spread, sortedCopy, spread } from './stats.js';

/** A throughput target: the median paired ratio to the baseline that `appliesTo` must reach. */
export interface RatioTarget {
  readonly ratio: number;
  /** The contestants the target is for (nestjs-locker's); peers are shown without a verdict. */
  readonly appliesTo: readonly string[];
}

/** What a comparison table compares, and against what. */
export interface ComparisonSpec {
  readonly title: string;
  /** The contestant every ratio divides by. */
  readonly baseline: string;
  /** The header of the ratio columns, naming the baseline: `× raw`. */
  readonly ratioLabel: string;
  readonly target?: RatioTarget;
  /** Contestants that belong in the table but cannot run yet, with the reason (markdown). */
  readonly pending?: readonly { readonly name: string; readonly reason: string }[];
}

/** One contestant's line in a comparison table. */
export interface Row {
  readonly name: string;
  readonly opsPerSec: Spread;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** This contestant's ops/s over the baseline's, paired round by round; absent for the baseline. */
  readonly ratio?: Spread;
  /** Whether the median ratio reaches the target; absent where no target applies. */
  readonly targetMet?: boolean;
}

/** One table of the report: contestants under the same conditions, relative to a baseline. */
export interface Comparison extends ComparisonSpec {
  readonly rows: readonly Row[];
}

/** Summarises measurements into a table relative to the baseline of `spec`. */
export function compare(spec: ComparisonSpec, measurements: readonly Measurement[]): Comparison {
  const base = measurements.find((m) => m.name === spec.baseline);
  if (!base) throw new RangeError(`no measurement of the baseline "${spec.baseline}"`);
  const rows = measurements.map((m): Row => {
    const latencies = sortedCopy(m.latencyMs.values());
    const row = {
      name: m.name,
      opsPerSec: spread(m.opsPerSec),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
    if (m === base) return row;
    const ratio = spread(pairedRatios(m.opsPerSec, base.opsPerSec));
    const target = spec.target;
    return target?.appliesTo.includes(m.name)
      ? { ...row, ratio, targetMet: ratio.median >= target.ratio }
      : { ...row, ratio };
  });
  return { ...spec, rows };
}

/** The comparison's target verdicts, one per targeted or pending contestant, for the summary. */
export function comparisonTargets(comparison: Comparison, conditions: string): TargetResult[] {
  const { target, ratioLabel } = comparison;
  if (!target) return [];
  const wanted = `≥ ${target.ratio.toFixed(2)}${ratioLabel}`;
  const results: TargetResult[] = comparison.rows
    .filter((row) => row.targetMet !== undefined && row.ratio)
    .map((row) => ({
      what: `${row.name}, ${conditions}`,
      target: wanted,
      result: `${row.ratio!.median.toFixed(2)}×`,
      met: row.targetMet,
    }));
  for (const pending of comparison.pending ?? []) {
    results.push({
      what: `${pending.name}, ${conditions}`,
      target: wanted,
      result: 'pending',
      met: undefined,
    });
  }
  return results;
}
