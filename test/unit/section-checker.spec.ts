import { describe, expect, it } from '@jest/globals';
import { checkSections } from '../support/section-checker.js';

describe('checkSections (the multi-process checker)', () => {
  const section = (worker: number, token: number, start: number, end: number) => ({
    worker,
    token: BigInt(token),
    start: BigInt(start),
    end: BigInt(end),
  });

  it('accepts sections that follow each other with increasing tokens', () => {
    expect(
      checkSections([section(1, 5, 30, 40), section(0, 1, 0, 10), section(2, 3, 11, 20)]),
    ).toEqual([]);
  });

  it('reports two sections that overlap', () => {
    expect(checkSections([section(0, 1, 0, 10), section(1, 2, 10, 20)])).toEqual([
      'overlap: worker 1 started before worker 0 ended',
    ]);
  });

  it('reports a fencing token that does not increase in time order', () => {
    expect(checkSections([section(0, 2, 0, 10), section(1, 2, 11, 20)])).toEqual([
      'fencing token went from 2 to 2',
    ]);
  });
});
