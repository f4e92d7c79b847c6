import { describe, expect, it } from '@jest/globals';
import type { WaitCycleMember, WaitGraph, WaitRecord } from '../../lib/index.js';
import { LockDeadlockError } from '../../lib/index.js';
import { DeadlockWatch, victimOf } from '../../lib/manager/deadlock-watch.js';
import { ManualClock } from '../../lib/testing/index.js';

const member = (id: string, since: number, key = `k:${id}`): WaitCycleMember => ({
  id,
  since,
  keys: [`locker:${key}`],
});

/** A graph that answers each publish with `cycles` (or fails), recording the calls. */
function graph(answer: () => Promise<WaitCycleMember[][]>) {
  const published: WaitRecord[] = [];
  const withdrawn: string[] = [];
  const waits: WaitGraph = {
    publish: async (record) => {
      published.push(record);
      return answer();
    },
    withdraw: async (id) => {
      withdrawn.push(id);
    },
  };
  return { waits, published, withdrawn };
}

const watchOn = (waits: WaitGraph, clock: ManualClock): DeadlockWatch =>
  new DeadlockWatch({
    graph: waits,
    id: 'me',
    holds: ['held-by-me'],
    storeKeys: ['locker:k:me'],
    key: 'k:me',
    userKey: (storeKey) => storeKey.slice('locker:'.length),
    clock,
  });

describe('deadlock victim and watch', () => {
  it('picks the wait that started last, ties to the larger id, the same from every member', () => {
    const cycle = [member('a', 10), member('b', 30), member('c', 20)];
    expect(victimOf(cycle).id).toBe('b');
    expect(victimOf([...cycle.slice(1), cycle[0]!]).id).toBe('b');
    expect(victimOf([member('a', 5), member('z', 5), member('m', 5)]).id).toBe('z');
  });

  it('throws LockDeadlockError naming the cycle only when this wait is the victim', async () => {
    const clock = new ManualClock();
    const mine = [member('me', 20), member('other', 10, 'k:other')];
    const { waits, published } = graph(async () => [mine]);
    const watch = watchOn(waits, clock);
    const error = await watch.check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockDeadlockError);
    expect((error as LockDeadlockError).cycle).toEqual(['k:me', 'k:other']);
    expect(published[0]).toEqual({ id: 'me', holds: ['held-by-me'], keys: ['locker:k:me'] });
    const theirs = graph(async () => [[member('me', 10), member('other', 20)]]);
    await expect(watchOn(theirs.waits, clock).check()).resolves.toBeUndefined();
  });

  it('republishes at most once a second, and a store failure never fails the wait', async () => {
    const clock = new ManualClock();
    let fail = true;
    const { waits, published, withdrawn } = graph(async () => {
      if (fail) throw new TypeError('store down');
      return [];
    });
    const watch = watchOn(waits, clock);
    await expect(watch.check()).resolves.toBeUndefined();
    await watch.check();
    expect(published).toHaveLength(1);
    fail = false;
    await clock.advance(1_000);
    await watch.check();
    expect(published).toHaveLength(2);
    watch.end();
    await Promise.resolve();
    expect(withdrawn).toEqual(['me']);
  });

  it('withdraws nothing for a wait it never published', async () => {
    const { waits, withdrawn } = graph(async () => []);
    watchOn(waits, new ManualClock()).end();
    await Promise.resolve();
    expect(withdrawn).toEqual([]);
  });
});
