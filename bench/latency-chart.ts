import type { Measurement } from './measure.js';
import type { Chart } from './scenario.js';

/** The op latencies of every contestant of one comparison, as one chart. */
export function latencyChart(
  file: string,
  title: string,
  measurements: readonly Measurement[],
): Chart {
  return {
    file,
    title,
    axis: 'latency of one op (ms)',
    series: measurements.map((m) => ({ name: m.name, values: m.latencyMs.values() })),
  };
}
