import { describe, expect, it } from '@jest/globals';
import { Deadlines, type Timed } from '../../lib/backends/shared/deadlines.js';
import { StoreTimeoutError } from '../../lib/backends/shared/with-timeout.js';

/** A promise that never settles: a store call that never answers. */
const silent = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('Deadlines', () => {
  it('passes a call’s value and its error through unchanged', async () => {
    const deadlines = new Deadlines();
    await expect(deadlines.bound(Promise.resolve('answer'), 1_000)).resolves.toBe('answer');
    const failure = new Error('WRONGTYPE');
    await expect(deadlines.bound(Promise.reject(failure), 1_000)).rejects.toBe(failure);
  });

  it('rejects a call that has not answered by its deadline with StoreTimeoutError', async () => {
    const deadlines = new Deadlines();
    const error = await deadlines.bound(silent(), 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect((error as StoreTimeoutError).timeoutMs).toBe(20);
    expect(String(error)).toContain('no answer within 20 ms');
  });

  it('expires only the entries whose deadline passed and that have not ended', async () => {
    const deadlines = new Deadlines();
    const expired: string[] = [];
    const entry = (name: string, inMs: number, ended = false): Timed => ({
      deadlineAt: performance.now() + inMs,
      ended,
      expire: () => expired.push(name),
    });
    deadlines.add(entry('due', 0));
    deadlines.add(entry('ended', 0, true));
    deadlines.add(entry('later', 200));
    // Another bounded call times out after the first sweeps: by then 'due' has been expired.
    await deadlines.bound(silent(), 30).catch(() => undefined);
    expect(expired).toEqual(['due']);
  });

  it('keeps a call that answers after a first sweep from being expired', async () => {
    const deadlines = new Deadlines();
    let answer!: (value: string) => void;
    const late = deadlines.bound(new Promise<string>((resolve) => (answer = resolve)), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 25));
    answer('late answer');
    await expect(late).resolves.toBe('late answer');
  });
});
