import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { AcquireResult } from '../../lib/contract/lock-backend.js';
import { type WaitContext, waitForLock } from '../../lib/manager/wait-for-lock.js';

const miss = (retryAfterMs?: number): AcquireResult => ({ acquired: false, retryAfterMs });
const hit: AcquireResult = { acquired: true, fencingToken: 7n, expiresAt: 0 };

describe('waitForLock', () => {
  const clock = { now: () => Date.now() };
  let attempts: number;
  let answers: (() => AcquireResult | Promise<AcquireResult>)[];
  let release: (() => void) | undefined;
  let unsubscribed: number;

  const context = (overrides: Partial<WaitContext> = {}): WaitContext => ({
    attempt: async () => {
      attempts++;
      const next = answers.shift();
      return next ? next() : miss(60_000);
    },
    subscribe: async (onRelease) => {
      release = onRelease;
      return () => {
        unsubscribed++;
      };
    },
    onSubscribeError: () => {},
    waitMs: 10_000,
    signal: undefined,
    clock,
    ...overrides,
  });

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    attempts = 0;
    answers = [];
    release = undefined;
    unsubscribed = 0;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('subscribes, tries once more, then sleeps until the release notification', async () => {
    answers = [() => miss(60_000), () => hit];
    const result = waitForLock(context(), miss(60_000));
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1_500);
    expect(attempts).toBe(1);
    release!();
    await jest.advanceTimersByTimeAsync(0);
    await expect(result).resolves.toEqual(hit);
    expect(attempts).toBe(2);
    expect(unsubscribed).toBe(1);
  });

  it('retries right after the holder’s reported ttl when no notification comes', async () => {
    answers = [() => miss(300), () => hit];
    const result = waitForLock(context(), miss(300));
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(290);
    expect(attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(30);
    await expect(result).resolves.toEqual(hit);
    expect(attempts).toBe(2);
  });

  it('falls back to jittered backoff when the store has no wake-up channel', async () => {
    const result = waitForLock(context({ subscribe: undefined, waitMs: 2_000 }), miss(60_000));
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toEqual(miss(60_000));
    // Backoff grows from 10 ms to at most 250 ms: more than a handful of attempts, far fewer than 2 000.
    expect(attempts).toBeGreaterThan(5);
    expect(attempts).toBeLessThan(100);
  });

  it('falls back to backoff when subscribing fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    answers = [() => miss(60_000), () => miss(60_000), () => hit];
    const result = waitForLock(
      context({
        subscribe: async () => {
          throw new Error('subscriber down');
        },
        onSubscribeError: (error) => errors.push(error),
      }),
      miss(60_000),
    );
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toEqual(hit);
    expect(errors).toHaveLength(1);
  });

  it('returns the last miss when the wait runs out, and unsubscribes', async () => {
    const result = waitForLock(context({ waitMs: 5_000 }), miss(60_000));
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(result).resolves.toEqual(miss(60_000));
    expect(unsubscribed).toBe(1);
  });

  it('rejects with the signal’s reason when aborted while sleeping', async () => {
    const controller = new AbortController();
    const result = waitForLock(context({ signal: controller.signal }), miss(60_000));
    const settled = result.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(100);
    controller.abort(new Error('client went away'));
    await expect(settled).resolves.toEqual(new Error('client went away'));
    expect(unsubscribed).toBe(1);
  });

  it('retries after a failed attempt and rethrows when the final attempt failed', async () => {
    answers = [
      () => {
        throw new Error('timeout');
      },
      () => hit,
    ];
    const recovered = waitForLock(context(), miss(60_000));
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(recovered).resolves.toEqual(hit);

    answers = Array.from({ length: 1_000 }, () => () => {
      throw new Error('still down');
    });
    const failing = waitForLock(context({ waitMs: 500 }), miss(60_000)).catch(
      (error: unknown) => error,
    );
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(failing).resolves.toEqual(new Error('still down'));
  });
});
