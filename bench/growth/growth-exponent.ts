import type { Section } from '../scenario.js';

/** One size's figures: the median of each, by column name. */
export interface Measured {
  readonly locks: number;
  readonly lost: number;
  readonly figures: Readonly<Record<string, number>>;
}

/** Below this exponent in size a figure reads as constant; from 1 − this to 1 + this, linear. */
const TOLERANCE = 0.2;

/**
 * The exponent `k` in `figure ∝ size^k` between the smallest and the largest size: 0 for a
 * constant, 1 for linear growth. NaN when either figure is not positive (a lateness of 0 ms).
 */
export function growthExponent(
  smallSize: number,
  small: number,
  largeSize: number,
  large: number,
): number {
  if (!(small > 0 && large > 0)) return Number.NaN;
  return Math.log(large / small) / Math.log(largeSize / smallSize);
}

/** How an exponent reads. */
export function growthKind(exponent: number): string {
  if (!Number.isFinite(exponent)) return '–';
  if (Math.abs(exponent) < TOLERANCE) return 'constant';
  if (Math.abs(exponent - 1) <= TOLERANCE) return 'linear';
  if (exponent < 0) return 'falls';
  return exponent < 1 ? 'sub-linear' : 'super-linear';
}

/**
 * A table of how each figure grows from the smallest to the largest size, and a one-line summary
 * of it for the scenario's description.
 */
export function growthSection(measured: readonly Measured[]): {
  section: Section;
  summary: string;
} {
  const first = measured[0]!;
  const last = measured[measured.length - 1]!;
  const factor = last.locks / first.locks;
  const rows = Object.keys(first.figures).map((name) => {
    const small = first.figures[name]!;
    const large = last.figures[name]!;
    const exponent = growthExponent(first.locks, small, last.locks, large);
    return { name, small, large, exponent, kind: growthKind(exponent) };
  });
  const summary = rows
    .filter((row) => row.kind !== '–')
    .map((row) => `${row.name} ${row.kind}`)
    .join(', ');
  return {
    summary: `from ${first.locks.toLocaleString('en-US')} to ${last.locks.toLocaleString('en-US')} held locks, ${summary}`,
    section: {
      title: `How each renewal figure grows, ${first.locks.toLocaleString('en-US')} → ${last.locks.toLocaleString('en-US')} held locks (×${factor})`,
      table: {
        header: ['Figure', 'ratio', 'exponent k (figure ∝ locks^k)', 'grows'],
        align: ['left', 'right', 'right', 'left'],
        rows: rows.map((row) => [
          row.name,
          Number.isFinite(row.exponent) ? `${(row.large / row.small).toFixed(2)}×` : '–',
          Number.isFinite(row.exponent) ? row.exponent.toFixed(2) : '–',
          row.kind,
        ]),
      },
      notes: [
        `k from the medians at the smallest and the largest size: 0 is constant, 1 linear (|k| < ${TOLERANCE} reads as constant, |k − 1| ≤ ${TOLERANCE} as linear). A per-lock figure that is constant means a total that grows linearly. "–": a figure of 0 at one end (no measurable lateness).`,
      ],
    },
  };
}
