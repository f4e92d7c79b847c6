import { expect } from '@jest/globals';
import type { AcquiredLease, AcquireResult, MissedLease } from '../../lib/index.js';

/** Asserts that an acquire was granted, and returns it as the granted lease. */
export function granted(result: AcquireResult): AcquiredLease {
  expect(result).toEqual(expect.objectContaining({ acquired: true }));
  return result as AcquiredLease;
}

/** Asserts that an acquire missed, and returns it as the miss. */
export function missed(result: AcquireResult): MissedLease {
  expect(result).toEqual(expect.objectContaining({ acquired: false }));
  return result as MissedLease;
}
