/**
 * The statistics the benchmark reports: pure functions over plain numbers, so that they can be
 * tested on their own and shared by every scenario.
 */

/** The middle value and the range of a set of measurements. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The `p`-th percentile (0 to 100) of values sorted in ascending order, by linear interpolation
 * between the two nearest ranks. `NaN` for no values.
 *
 * @example percentile(Float64Array.of(1, 2, 3, 4), 50) // 2.5
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0 to 100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (p / 100) * (n - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, n - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

/** The values sorted in ascending order, as a new typed array (numeric, not lexicographic). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The median of values in any order. `NaN` for no values. */
export function median(values: ArrayLike<number>): number {
  return percentile(sortedCopy(values), 50);
}

/** Median, min and max of values in any order. `NaN` throughout for no values. */
export function spread(values: ArrayLike<number>): Spread {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  return {
    median: percentile(sorted, 50),
    min: n === 0 ? Number.NaN : sorted[0]!,
    max: n === 0 ? Number.NaN : sorted[n - 1]!,
  };
}

/**
 * Round-by-round ratios `subject[i] / baseline[i]`. Pairing measurements of the same round cancels
 * most of the drift of a noisy machine, which a ratio of two medians would not.
 */
export function pairedRatios(subject: readonly number[], baseline: readonly number[]): number[] {
  if (subject.length !== baseline.length) {
    throw new RangeError(`rounds differ: ${subject.length} vs ${baseline.length}`);
  }
  return subject.map((value, i) => value / baseline[i]!);
}

/**
 * Latencies collected one by one into a growable typed array, without the boxing and resizing
 * costs of a `number[]` on the measured path.
 */
export class Samples {
  #values = new Float64Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  /** A view of the samples collected so far. */
  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}

/**
 * The smallest over the largest of values in any order: 1 when all are equal, 0 when one is 0.
 * Used for fairness, as the least-served process's share over the best-served one's. `NaN` for no
 * values or when all are 0.
 *
 * @example minOverMax([90, 100, 95]) // 0.9
 */
export function minOverMax(values: ArrayLike<number>): number {
  const { min, max } = spread(values);
  return max === 0 ? Number.NaN : min / max;
}

/**
 * `count` evenly spaced percentiles of values sorted in ascending order, from the 0th to the
 * 100th, as `[value, fraction]` pairs (fraction 0 to 1): the points of a cumulative distribution
 * curve with a bounded number of points however many samples there are.
 *
 * @example cdfPoints(Float64Array.of(1, 2, 3), 3) // [[1, 0], [2, 0.5], [3, 1]]
 */
export function cdfPoints(sorted: ArrayLike<number>, count: number): [number, number][] {
  if (!(Number.isInteger(count) && count >= 2)) {
    throw new RangeError(`a curve needs 2 points or more, got ${count}`);
  }
  if (sorted.length === 0) return [];
  return Array.from({ length: count }, (_, i): [number, number] => {
    const fraction = i / (count - 1);
    return [percentile(sorted, fraction * 100), fraction];
  });
}
