import { describe, expect, it } from '@jest/globals';
import {
  checkDuplicateOrders,
  checkEveryTickOnce,
  checkNoOverlap,
  checkNoTickTwice,
  checkStock,
  type ReportRun,
} from '../../sample-app/demo/demo-checks.js';
import type { OrderAnswer } from '../../sample-app/demo/shop-client.js';

const answer = (id: string, status: number, sku = 'tea', qty = 1): OrderAnswer => ({
  id,
  sku,
  qty,
  askedInstance: 'app-1',
  status,
  retryAfter: status === 409 ? '1' : null,
});

const T0 = Date.UTC(2030, 0, 1, 3, 0, 0);
const run = (instance: string, startSecond: number, durationMs?: number): ReportRun => ({
  instance,
  startedAt: T0 + startSecond * 1000 + 5,
  ...(durationMs === undefined ? {} : { finishedAt: T0 + startSecond * 1000 + 5 + durationMs }),
});

describe('the demo checks', () => {
  it('accept one 201 and 409s for the copies of an order, and refuse two 201s or a 500', () => {
    expect(checkDuplicateOrders([answer('a', 201), answer('a', 409), answer('a', 409)]).ok).toBe(
      true,
    );
    expect(checkDuplicateOrders([answer('a', 201), answer('a', 201), answer('a', 409)]).ok).toBe(
      false,
    );
    expect(checkDuplicateOrders([answer('a', 201), answer('a', 500)]).ok).toBe(false);
  });

  it('accept final stock = initial − accepted, and refuse an oversold or miscounted stock', () => {
    const answers = [
      answer('a', 201, 'tea', 3),
      answer('b', 422, 'tea', 5),
      answer('c', 201, 'cocoa', 2),
    ];
    expect(checkStock(5, { tea: 2, cocoa: 3 }, answers).ok).toBe(true);
    expect(checkStock(5, { tea: -1, cocoa: 3 }, answers).ok).toBe(false);
    expect(checkStock(5, { tea: 1, cocoa: 3 }, answers).ok).toBe(false);
    expect(checkStock(5, {}, answers).ok).toBe(false);
  });

  it('find a report tick that ran twice, or one of a window that did not run', () => {
    const once = [run('app-1', 0, 400), run('app-2', 1, 400), run('app-3', 2, 400)];
    expect(checkNoTickTwice(once).ok).toBe(true);
    expect(checkEveryTickOnce(once, T0, T0 + 2000).ok).toBe(true);
    expect(checkNoTickTwice([...once, run('app-1', 1, 400)]).ok).toBe(false);
    expect(checkEveryTickOnce([run('app-1', 0, 400), run('app-2', 2, 400)], T0, T0 + 2000).ok).toBe(
      false,
    );
  });

  it('find overlapping runs, and let only the killed run stay unfinished', () => {
    expect(checkNoOverlap([run('app-1', 0, 400), run('app-2', 1, 400)]).ok).toBe(true);
    expect(checkNoOverlap([run('app-1', 0, 1500), run('app-2', 1, 400)]).ok).toBe(false);
    const killed = run('app-1', 0);
    expect(checkNoOverlap([killed, run('app-2', 4, 400)], killed.startedAt).ok).toBe(true);
    expect(checkNoOverlap([killed, run('app-2', 4, 400)]).ok).toBe(false);
  });
});
