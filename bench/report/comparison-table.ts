import type { Comparison } from '../comparison.js';
import {
  type Align,
  formatMs,
  formatOps,
  formatRatio,
  formatVerdict,
  type Table,
} from './table.js';

/**
 * A comparison as a table: ops/s (median and range over rounds), latency percentiles over every
 * op, the paired ratio to the baseline, and the verdict against the target where one applies.
 */
export function comparisonTable(comparison: Comparison): Table {
  const { target, ratioLabel } = comparison;
  const header = [
    'Contestant',
    'ops/s (median)',
    'ops/s (min–max)',
    'p50 ms',
    'p99 ms',
    `${ratioLabel} (median)`,
    `${ratioLabel} (min–max)`,
  ];
  const align: Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right'];
  if (target) {
    header.push(`target ≥ ${formatRatio(target.ratio)}`);
    align.push('left');
  }
  const rows = comparison.rows.map((row) => {
    const isBaseline = row.name === comparison.baseline;
    const cells = [
      row.name,
      formatOps(row.opsPerSec.median),
      `${formatOps(row.opsPerSec.min)}–${formatOps(row.opsPerSec.max)}`,
      formatMs(row.p50Ms),
      formatMs(row.p99Ms),
      row.ratio ? formatRatio(row.ratio.median) : isBaseline ? '1.00× (baseline)' : '',
      row.ratio ? `${row.ratio.min.toFixed(2)}–${formatRatio(row.ratio.max)}` : '',
    ];
    if (target) cells.push(row.targetMet === undefined ? '' : formatVerdict(row.targetMet));
    return cells;
  });
  for (const pending of comparison.pending ?? []) {
    const cells = [pending.name, 'pending', '', '', '', '', ''];
    if (target) cells.push('pending');
    rows.push(cells);
  }
  return { header, align, rows };
}
