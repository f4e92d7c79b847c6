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

  it('batches the parts of the store apart, so a part that never answers holds back only its own calls', async () => {
    const batches: string[][] = [];
    const batcher = new TickBatcher<string, string>(
      (items) => {
        batches.push(items);
        // The master of the "down:" keys is stopped: its batch never settles.
        if (items[0]!.startsWith('down:')) return new Promise(() => {});
        return Promise.resolve(items.map((item) => `done ${item}`));
      },
      128,
      (item) => item.split(':')[0],
    );
    const calls = ['up:1', 'down:1', 'other:1', 'up:2'].map((item) => batcher.add(item));
    await expect(Promise.all([calls[0], calls[2], calls[3]])).resolves.toEqual([
      'done up:1',
      'done other:1',
      'done up:2',
    ]);
    expect(batches).toEqual([['up:1', 'up:2'], ['down:1'], ['other:1']]);
  });
});
