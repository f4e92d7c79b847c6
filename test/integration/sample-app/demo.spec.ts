import { describe, expect, it } from '@jest/globals';
import { demoRunFor } from '../../support/sample-demo.js';

describe('npm run demo: three sample-app processes on real Redis and Postgres', () => {
  const demo = demoRunFor('test');

  it('passes every check of the demo', () => {
    expect(demo().checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('answers one 201 and two 409 for each order sent to the three instances at once', () => {
    const { orders, created, inFlight409, placed409 } = demo().duplicates;
    expect(created).toBe(orders);
    expect(inFlight409 + placed409).toBe(2 * orders);
  });

  it('never oversells: final stock is initial − accepted items, never negative', () => {
    const left = Object.values(demo().finalStock);
    expect(left).toHaveLength(3);
    for (const stock of left) expect(stock).toBeGreaterThanOrEqual(0);
    const items = demo().rush.items + demo().duplicates.created;
    expect(left.reduce((a, b) => a + b, 0)).toBe(3 * demo().initialStock - items);
    expect(demo().rush.accepted + demo().rush.outOfStock).toBe(demo().rush.orders);
  });

  it('merges concurrent refreshes into one rebuild, and breaks the opposite transfers deadlock', () => {
    expect(demo().cache?.rebuilds).toBe(1);
    expect(demo().cache?.results).toHaveLength(1);
    expect(
      demo().deadlock?.first.filter((line) => line.endsWith('409 LOCK_DEADLOCK')),
    ).toHaveLength(1);
    expect(demo().deadlock?.retried.every((line) => line.endsWith(': 201'))).toBe(true);
  });

  it('moves the report job to another instance after a kill -9 mid-run', () => {
    expect(demo().takeover).toBeDefined();
    expect(demo().takeover!.successor).not.toBe(demo().takeover!.victim);
  });
});
