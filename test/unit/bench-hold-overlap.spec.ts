import { describe, expect, it } from '@jest/globals';
import { holdOverlap } from '../../bench/read-mostly/hold-overlap.js';
import type { Hold } from '../../bench/read-mostly/protocol.js';

const read = (startMs: number, endMs: number): Hold => ({ startMs, endMs, read: true });
const write = (startMs: number, endMs: number): Hold => ({ startMs, endMs, read: false });
const writesExclude = (hold: Hold): boolean => !hold.read;

describe('holdOverlap (read-mostly benchmark)', () => {
  it('counts the reads held at once, peak and time-weighted mean while read-held', () => {
    // 0–4: one reader, 1–3 a second one; 6–8 a third alone. Read-held 6 ms, 8 hold·ms.
    const overlap = holdOverlap([read(0, 4), read(1, 3), read(6, 8)], writesExclude);
    expect(overlap).toEqual({ peakReaders: 2, readerMs: 8, readHeldMs: 6, violations: 0 });
  });

  it('finds no violation in holds that only touch: one ends when the next begins', () => {
    const overlap = holdOverlap([read(0, 2), write(2, 4), read(4, 6)], writesExclude);
    expect(overlap.violations).toBe(0);
    expect(overlap.peakReaders).toBe(1);
  });

  it('counts a write that begins under a read, and a read that begins under a write', () => {
    expect(holdOverlap([read(0, 3), write(2, 5)], writesExclude).violations).toBe(1);
    expect(holdOverlap([write(0, 3), read(1, 2), read(2, 4)], writesExclude).violations).toBe(2);
    expect(holdOverlap([write(0, 3), write(1, 2)], writesExclude).violations).toBe(1);
  });

  it('counts any overlap when every hold is exclusive (a mutex)', () => {
    const overlap = holdOverlap([read(0, 3), read(1, 2), write(5, 6)], () => true);
    expect(overlap.violations).toBe(1);
    expect(overlap.peakReaders).toBe(2);
  });

  it('reports nothing for no holds', () => {
    expect(holdOverlap([], writesExclude)).toEqual({
      peakReaders: 0,
      readerMs: 0,
      readHeldMs: 0,
      violations: 0,
    });
  });
});
