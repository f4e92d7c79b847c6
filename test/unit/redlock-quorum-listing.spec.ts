import { describe, expect, it } from '@jest/globals';
import { majorityInstances, majorityLeases } from '../../lib/backends/redlock/quorum-listing.js';
import type { ListedLease } from '../../lib/contract/lock-directory.js';

const lease = (key: string, owner: string, token: number, expiresAt: number): ListedLease => ({
  key,
  owner,
  fencingToken: BigInt(token),
  expiresAt,
  kind: 'mutex',
});

describe('majorityLeases', () => {
  it('lists a key once, for the owner a majority holds, with its highest token and majority expiry', () => {
    const listed = majorityLeases(
      [
        [lease('k', 'o', 5, 2_000)],
        [lease('k', 'o', 7, 3_000)],
        [lease('k', 'o', 6, 1_000)],
        [lease('k', 'o', 4, 1_500)],
        [],
      ],
      3,
    );
    // Held by four; a majority (three) holds it until the third latest expiry passes.
    expect(listed).toEqual([lease('k', 'o', 7, 1_500)]);
  });

  it('leaves out a lease on a minority, and a key split between owners', () => {
    const listed = majorityLeases(
      [
        [lease('minor', 'a', 1, 9_000), lease('split', 'p', 1, 9_000)],
        [lease('minor', 'a', 1, 9_000), lease('split', 'p', 1, 9_000)],
        [lease('split', 'q', 2, 9_000)],
        [lease('split', 'q', 2, 9_000)],
        [],
      ],
      3,
    );
    expect(listed).toEqual([]);
  });
});

describe('majorityInstances', () => {
  const record = (id: string, payload: string, stamp: number, expiresAt: number) => ({
    id,
    payload,
    stamp: BigInt(stamp),
    expiresAt,
  });

  it('keeps an id a majority keeps, with the newest payload, and drops one on a minority', () => {
    const found = majorityInstances(
      [
        [record('i', 'old', 1, 5_000), record('m', '{}', 1, 5_000)],
        [record('i', 'new', 2, 6_000)],
        [record('i', 'new', 2, 7_000)],
      ],
      2,
    );
    expect(found).toEqual([{ id: 'i', payload: 'new', expiresAt: 6_000 }]);
  });
});
