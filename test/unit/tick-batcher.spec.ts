import { describe, expect, it } from '@jest/globals';
import { TickBatcher } from '../../lib/backends/shared/tick-batcher.js';

describe('TickBatcher', () => {
  it('runs the calls of one tick as one batch and resolves each with its own result', async () => {
    const batches: number[][] = [];
    const batcher = new TickBatcher<number, number>(async (items) => {
      batches.push(items);
      return items.map((item) => item * 10);
    }, 128);
    await expect(Promise.all([1, 2, 3].map((item) => batcher.add(item)))).resolves.toEqual([
      10, 20, 30,
    ]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('rejects only the call whose item the batch answered with an error', async () => {
    const bad = new Error('item 2 failed alone');
    const batcher = new TickBatcher<number, number>(
      async (items) => items.map((item) => (item === 2 ? bad : item * 10)),
      128,
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((item) => batcher.add(item)));
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: bad },
      { status: 'fulfilled', value: 30 },
    ]);
  });

  it('rejects every call of a chunk whose batch rejects, and only that chunk', async () => {
    const down = new Error('no answer');
    const batcher = new TickBatcher<number, number>(async (items) => {
      if (items.includes(1)) throw down;
      return items.map((item) => item * 10);
    }, 2);
    const outcomes = await Promise.allSettled([1, 2, 3].map((item) => batcher.add(item)));
    expect(outcomes).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
      { status: 'fulfilled', value: 30 },
    ]);
  });
});
