import { describe, expect, it } from '@jest/globals';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockManager,
  LockManagerClosedError,
  LockNotAcquiredError,
  MemoryLockBackend,
} from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';
import { sleep } from '../support/async.js';

/** A call that runs until `finish()`, counting its runs. */
function heldCall() {
  let finish: (value: string) => void = () => undefined;
  const call = {
    runs: 0,
    fn: () => {
      call.runs++;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    },
    finish: (value: string) => finish(value),
  };
  return call;
}

describe('LockManager.share: what counts as a run after arrival', () => {
  it('a caller arriving after a run ended runs again, even when the store answers slowly', async () => {
    const store = new MemoryLockBackend();
    // The store measures an outcome's age when asked, and its answer then takes 200 ms to arrive.
    const slowReads = interceptBackend(store, async (call, proceed) => {
      if (call.method === 'close') return undefined;
      const answer = await proceed();
      if (call.capability === 'results' && call.method === 'get') await sleep(200);
      return answer;
    });
    const [first, late] = [
      new LockManager({ backend: store }),
      new LockManager({ backend: slowReads }),
    ];
    let runs = 0;
    const rebuild = async () => ++runs;
    expect(await first.share('catalog', rebuild)).toBe(1);
    await sleep(20);
    expect(await late.share('catalog', rebuild)).toBe(2);
    await Promise.all([first.close(), late.close()]);
  });
});

describe('LockManager.share: errors and limits', () => {
  it('a waiter whose wait runs out before the run ends gets LockNotAcquiredError; the run goes on', async () => {
    const store = new MemoryLockBackend();
    const [runner, waiter] = [
      new LockManager({ backend: store }),
      new LockManager({ backend: store }),
    ];
    const call = heldCall();
    const running = runner.share('slow', call.fn);
    await sleep(20);
    const error = await waiter.share('slow', call.fn, { wait: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotAcquiredError);
    expect((error as LockNotAcquiredError).key).toBe('slow');
    call.finish('done');
    expect(await running).toBe('done');
    expect(call.runs).toBe(1);
    await runner.close();
  });

  it('a waiter whose signal aborts rejects with its reason', async () => {
    const store = new MemoryLockBackend();
    const [runner, waiter] = [
      new LockManager({ backend: store }),
      new LockManager({ backend: store }),
    ];
    const call = heldCall();
    const running = runner.share('aborted', call.fn);
    await sleep(20);
    const controller = new AbortController();
    const waiting = waiter.share('aborted', call.fn, { signal: controller.signal });
    await sleep(20);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    call.finish('done');
    await running;
    await runner.close();
  });

  it('refuses bad options and a closed manager before reaching the store', async () => {
    const locks = new LockManager({ backend: new MemoryLockBackend() });
    const refused = async (options: object, field: string) => {
      const error = await locks.share('k', () => 1, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).field).toBe(field);
    };
    await refused({ maxResultBytes: 3 }, 'maxResultBytes');
    await refused({ maxResultBytes: 1.5 }, 'maxResultBytes');
    await refused({ shareFor: -5 }, 'shareFor');
    await refused({ shareFor: 'soon' }, 'shareFor');
    await refused({ wait: -1 }, 'wait');
    await refused({ ttl: 0 }, 'ttl');
    await expect(locks.share('', () => 1)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await locks.close();
    await expect(locks.share('k', () => 1)).rejects.toBeInstanceOf(LockManagerClosedError);
  });

  it('a store that fails to read outcomes fails the caller with LockBackendError', async () => {
    const failing = interceptBackend(new MemoryLockBackend(), (call, proceed) =>
      call.capability === 'results' && call.method === 'get'
        ? Promise.reject(new TypeError('connection reset'))
        : proceed(),
    );
    const locks = new LockManager({ backend: failing });
    const error = await locks.share('k', () => 1, { shareFor: '1s' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as Error).message).toContain('connection reset');
    await locks.close();
  });

  it('callers on one manager join the run in memory: one store acquire for eight callers', async () => {
    let acquires = 0;
    const counted = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') acquires++;
      return proceed();
    });
    const locks = new LockManager({ backend: counted });
    const call = heldCall();
    const calls = Array.from({ length: 8 }, () => locks.share('local', call.fn));
    await sleep(20);
    call.finish('once');
    expect(await Promise.all(calls)).toEqual(Array(8).fill('once'));
    expect(call.runs).toBe(1);
    expect(acquires).toBe(1);
    await locks.close();
  });
});
