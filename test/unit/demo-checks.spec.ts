import { describe, expect, it } from '@jest/globals';
import {
  checkBalances,
  checkDeadlockGaveWay,
  checkDuplicateOrders,
  checkEveryTickOnce,
  checkMergedRebuild,
  checkNoOverlap,
  checkNoTickTwice,
  checkRetriedTransfers,
  checkStock,
  type ReportRun,
} from '../../sample-app/demo/demo-checks.js';
import type {
  OrderAnswer,
  RefreshAnswer,
  TransferAnswer,
} from '../../sample-app/demo/shop-client.js';

const answer = (id: string, status: number, sku = 'tea', qty = 1): OrderAnswer => ({
  id,
  sku,
  qty,
  askedInstance: 'app-1',
  status,
  retryAfter: status === 409 ? '1' : null,
});

const refresh = (askedInstance: string, builtBy: string, fencingToken: string): RefreshAnswer => ({
  askedInstance,
  status: 200,
  builtBy,
  fencingToken,
});

const transfer = (
  from: string,
  to: string,
  amount: number,
  status: number,
  errorCode?: string,
): TransferAnswer => ({
  from,
  to,
  amount,
  askedInstance: 'app-1',
  status,
  retryAfter: status === 409 ? '1' : null,
  ...(errorCode === undefined ? {} : { errorCode }),
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

  it('accept refreshes that all got one rebuild, and refuse two rebuilds or two results', () => {
    const one = [refresh('app-1', 'app-2', '7'), refresh('app-2', 'app-2', '7')];
    expect(checkMergedRebuild(one, 1).ok).toBe(true);
    expect(checkMergedRebuild(one, 2).ok).toBe(false);
    expect(checkMergedRebuild([...one, refresh('app-3', 'app-3', '8')], 1).ok).toBe(false);
    expect(checkMergedRebuild([...one, { askedInstance: 'app-3', status: 500 }], 1).ok).toBe(false);
    expect(checkMergedRebuild([], 0).ok).toBe(false);
  });

  it('accept one LOCK_DEADLOCK and one 201, and refuse two 201s, a plain 409 or two deadlocks', () => {
    const done = transfer('alice', 'bob', 7, 201);
    const gaveWay = transfer('bob', 'alice', 3, 409, 'LOCK_DEADLOCK');
    expect(checkDeadlockGaveWay([done, gaveWay]).ok).toBe(true);
    expect(checkDeadlockGaveWay([done, transfer('bob', 'alice', 3, 201)]).ok).toBe(false);
    expect(
      checkDeadlockGaveWay([done, transfer('bob', 'alice', 3, 409, 'LOCK_NOT_ACQUIRED')]).ok,
    ).toBe(false);
    expect(checkDeadlockGaveWay([gaveWay, gaveWay]).ok).toBe(false);
  });

  it('accept a retried transfer that went through, and refuse one still refused or missing', () => {
    expect(checkRetriedTransfers(1, [transfer('bob', 'alice', 3, 201)]).ok).toBe(true);
    expect(checkRetriedTransfers(1, [transfer('bob', 'alice', 3, 409, 'LOCK_DEADLOCK')]).ok).toBe(
      false,
    );
    expect(checkRetriedTransfers(1, []).ok).toBe(false);
    expect(checkRetriedTransfers(0, []).ok).toBe(false);
  });

  it('accept balances moved by the accepted transfers, and refuse money made or lost', () => {
    const before = { alice: 100, bob: 100 };
    const answers = [
      transfer('alice', 'bob', 7, 201),
      transfer('bob', 'alice', 3, 409, 'LOCK_DEADLOCK'),
      transfer('bob', 'alice', 3, 201),
    ];
    expect(checkBalances(before, { alice: 96, bob: 104 }, answers).ok).toBe(true);
    expect(checkBalances(before, { alice: 93, bob: 104 }, answers).ok).toBe(false);
    expect(checkBalances(before, { alice: 96, bob: 107 }, answers).ok).toBe(false);
  });
});
