import { describe, expect, it } from '@jest/globals';
import { commandStat } from '../../bench/redis-info.js';
import { passedOnShare } from '../../bench/scenarios/contended.js';
import {
  cdfPoints,
  median,
  minOverMax,
  pairedRatios,
  percentile,
  Samples,
  sortedCopy,
  spread,
} from '../../bench/stats.js';

/** 1, 2, ..., n in a shuffled order that a lexicographic sort would get wrong. */
function oneTo(n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  return [...values.filter((v) => v % 2 === 0), ...values.filter((v) => v % 2 === 1)].reverse();
}

describe('benchmark statistics', () => {
  describe('percentile', () => {
    it('gives the exact ranks of 1..101: p0 = 1, p50 = 51, p99 = 100, p100 = 101', () => {
      const sorted = sortedCopy(oneTo(101));
      expect(percentile(sorted, 0)).toBe(1);
      expect(percentile(sorted, 50)).toBe(51);
      expect(percentile(sorted, 99)).toBe(100);
      expect(percentile(sorted, 100)).toBe(101);
    });

    it('interpolates linearly between the two nearest ranks', () => {
      expect(percentile(Float64Array.of(1, 2, 3, 4), 50)).toBe(2.5);
      expect(percentile(Float64Array.of(10, 20), 25)).toBe(12.5);
      // 1..1000: rank 0.99 × 999 = 989.01, between 990 and 991.
      expect(percentile(sortedCopy(oneTo(1000)), 99)).toBeCloseTo(990.01, 10);
    });

    it('is the value itself for one sample and NaN for none', () => {
      expect(percentile(Float64Array.of(7), 99)).toBe(7);
      expect(percentile(new Float64Array(0), 50)).toBeNaN();
    });

    it('refuses a percentile outside 0 to 100', () => {
      expect(() => percentile(Float64Array.of(1), 101)).toThrow(RangeError);
      expect(() => percentile(Float64Array.of(1), -1)).toThrow(RangeError);
      expect(() => percentile(Float64Array.of(1), Number.NaN)).toThrow(RangeError);
    });
  });

  describe('sortedCopy, median and spread', () => {
    it('sorts numerically, not as strings, and leaves the input alone', () => {
      const input = [10, 9, 100, 1.5];
      expect(Array.from(sortedCopy(input))).toEqual([1.5, 9, 10, 100]);
      expect(input).toEqual([10, 9, 100, 1.5]);
    });

    it('takes the median of an even count as the mean of the middle two', () => {
      expect(median([4, 1, 3, 2])).toBe(2.5);
      expect(median([5, 1, 3])).toBe(3);
    });

    it('gives median, min and max of values in any order', () => {
      expect(spread([3, 9, 1, 4, 7])).toEqual({ median: 4, min: 1, max: 9 });
      expect(spread([])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN });
    });
  });

  describe('pairedRatios', () => {
    it('divides round by round, so a slow round slows both sides of its ratio', () => {
      const subject = [1_100, 550, 2_200];
      const baseline = [1_000, 500, 2_000];
      const ratios = pairedRatios(subject, baseline);
      expect(ratios.map((r) => Number(r.toFixed(12)))).toEqual([1.1, 1.1, 1.1]);
      expect(median(ratios)).toBeCloseTo(1.1, 12);
    });

    it('differs from the ratio of medians when rounds drift', () => {
      // Round 2 ran on a busy machine for both; pairing keeps the subject at 2× throughout.
      const ratios = pairedRatios([200, 20, 220], [100, 10, 110]);
      expect(spread(ratios)).toEqual({ median: 2, min: 2, max: 2 });
    });

    it('refuses rounds of different counts', () => {
      expect(() => pairedRatios([1, 2], [1])).toThrow(RangeError);
    });
  });

  describe('minOverMax', () => {
    it('is the least share over the largest', () => {
      expect(minOverMax([90, 100, 95])).toBe(0.9);
      expect(minOverMax([5, 5, 5, 5])).toBe(1);
      expect(minOverMax([0, 10])).toBe(0);
    });

    it('is NaN with nothing to compare', () => {
      expect(minOverMax([])).toBeNaN();
      expect(minOverMax([0, 0])).toBeNaN();
    });
  });

  describe('cdfPoints', () => {
    it('gives evenly spaced percentiles from the smallest to the largest value', () => {
      expect(cdfPoints(Float64Array.of(1, 2, 3), 3)).toEqual([
        [1, 0],
        [2, 0.5],
        [3, 1],
      ]);
      expect(cdfPoints(sortedCopy(oneTo(101)), 5)).toEqual([
        [1, 0],
        [26, 0.25],
        [51, 0.5],
        [76, 0.75],
        [101, 1],
      ]);
    });

    it('gives no points for no values and refuses fewer than 2 points', () => {
      expect(cdfPoints(new Float64Array(0), 10)).toEqual([]);
      expect(() => cdfPoints(Float64Array.of(1), 1)).toThrow(RangeError);
    });
  });

  describe('Samples', () => {
    it('keeps every value in order past its initial capacity', () => {
      const samples = new Samples();
      for (let i = 0; i < 5_000; i++) samples.add(i);
      expect(samples.length).toBe(5_000);
      const values = samples.values();
      expect(values.length).toBe(5_000);
      expect(values[0]).toBe(0);
      expect(values[1_024]).toBe(1_024);
      expect(values[4_999]).toBe(4_999);
    });
  });
});

describe('passedOnShare (contended scenario)', () => {
  it('counts the locks taken by another process than the one before, over all takes', () => {
    // Process 0 takes at 1, 2 and 5; process 1 at 3 and 4: 0 0 1 1 0 moves twice in 4 steps.
    expect(
      passedOnShare([
        [1, 2, 5],
        [3, 4],
      ]),
    ).toBe(0.5);
    // Strict turns: every lock moves on.
    expect(
      passedOnShare([
        [1, 3],
        [2, 4],
      ]),
    ).toBe(1);
    // One process keeps it.
    expect(passedOnShare([[1, 2, 3], []])).toBe(0);
    expect(passedOnShare([[1], []])).toBeNaN();
  });
});

describe('commandStat (INFO commandstats)', () => {
  const info = [
    '# Commandstats',
    'cmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33,rejected_calls=0,failed_calls=0',
    'cmdstat_publish:calls=7,usec=9,usec_per_call=1.29,rejected_calls=0,failed_calls=0',
  ].join('\r\n');
  it("reads a command's calls and µs, and 0 for a command that did not run", () => {
    expect(commandStat(info, 'evalsha', 'usec')).toBe(340);
    expect(commandStat(info, 'evalsha', 'calls')).toBe(12);
    expect(commandStat(info, 'publish', 'calls')).toBe(7);
    expect(commandStat(info, 'eval', 'usec')).toBe(0);
  });
});
