import { describe, expect, it } from '@jest/globals';
import { bySlot, hashSlot, slotMaster } from '../../lib/backends/redis/cluster-slot.js';

/** Keys on distinct slots: the hash tag picks the slot. */
const keys = ['{a}x', '{b}x', '{a}y', '{c}x', '{b}y'];

describe('bySlot (the Redis Cluster batch splitter)', () => {
  it('runs one group per slot and answers in the order of the items', async () => {
    expect(new Set(keys.map(hashSlot)).size).toBe(3);
    const runs: string[][] = [];
    const results = await bySlot(
      keys,
      (key) => key,
      async (group) => {
        runs.push(group);
        return group.map((key) => `done ${key}`);
      },
      () => 'failed',
    );
    expect(results).toEqual(keys.map((key) => `done ${key}`));
    expect(runs.map((group) => group.join(',')).sort()).toEqual(['{a}x,{a}y', '{b}x,{b}y', '{c}x']);
  });

  it('gives the items of a failing group its failure and keeps the answers of the others', async () => {
    const down = new Error('master of {b} timed out');
    const failedGroups: [unknown, readonly string[]][] = [];
    const results = await bySlot(
      keys,
      (key) => key,
      async (group) => {
        if (group[0]!.startsWith('{b}')) throw down;
        return group.map((key) => `done ${key}`);
      },
      (error, group) => {
        failedGroups.push([error, group]);
        return `failed: ${(error as Error).message}`;
      },
    );
    expect(results).toEqual([
      'done {a}x',
      'failed: master of {b} timed out',
      'done {a}y',
      'done {c}x',
      'failed: master of {b} timed out',
    ]);
    expect(failedGroups).toEqual([[down, ['{b}x', '{b}y']]]);
  });

  it('rejects as a whole when every item is on one slot and that run fails', async () => {
    const down = new Error('master of {a} timed out');
    await expect(
      bySlot(
        ['{a}x', '{a}y'],
        (key) => key,
        async () => {
          throw down;
        },
        () => 'failed',
      ),
    ).rejects.toBe(down);
  });

  it('names the master of a slot from the client’s slot map, or the slot itself while unknown', () => {
    const slots: string[][] = [];
    slots[12] = ['127.0.0.1:6461', '127.0.0.1:6471'];
    expect(slotMaster(slots, 12)).toBe('127.0.0.1:6461');
    expect(slotMaster(slots, 13)).toBe(13);
    expect(slotMaster(undefined, 13)).toBe(13);
  });
});
