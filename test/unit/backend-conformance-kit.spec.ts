import { AssertionError } from 'node:assert/strict';
import { describe, expect, it } from '@jest/globals';
import { type LockBackend, MemoryLockBackend } from '../../lib/index.js';
import { backendConformance } from '../../lib/testing/index.js';

/** A memory store that releases and extends for anyone: a backend that skips the owner check. */
function ownerBlind(): () => LockBackend {
  const store = new MemoryLockBackend();
  return () => ({
    name: 'owner-blind',
    acquire: (key, owner, ttlMs) => store.acquire(key, owner, ttlMs),
    extend: (leases) => store.extend(leases),
    release: async (key) => {
      const holder = await store.inspect(key);
      return holder ? store.release(key, holder.owner) : false;
    },
    inspect: (key) => store.inspect(key),
    subscribe: (key, onRelease) => store.subscribe(key, onRelease),
    close: async () => {},
  });
}

describe('backendConformance() (nestjs-locker/testing)', () => {
  const byName = (cases: ReturnType<typeof backendConformance>, name: string) =>
    cases.find((c) => c.name === name)!;

  it('gives every case a name, a timeout and a run() that needs no test runner', () => {
    const cases = backendConformance(() => new MemoryLockBackend());
    expect(cases.length).toBeGreaterThanOrEqual(16);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) expect(c.timeoutMs).toBeGreaterThan(0);
  });

  it('fails, with an AssertionError, a backend that lets anyone release a lock', async () => {
    const check = byName(backendConformance(ownerBlind()), 'only lets the owner release a lock');
    await expect(check.run()).rejects.toBeInstanceOf(AssertionError);
  });

  it('passes the same case on the real memory backend, and closes every backend it opened', async () => {
    const store = new MemoryLockBackend();
    let open = 0;
    const createBackend = (): LockBackend => {
      open++;
      return {
        name: 'memory',
        acquire: (k, o, t) => store.acquire(k, o, t),
        extend: (l) => store.extend(l),
        release: (k, o) => store.release(k, o),
        inspect: (k) => store.inspect(k),
        subscribe: (k, fn) => store.subscribe(k, fn),
        close: async () => {
          open--;
        },
      };
    };
    await byName(backendConformance(createBackend), 'only lets the owner release a lock').run();
    expect(open).toBe(0);
  });
});
