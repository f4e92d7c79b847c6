import { afterEach, describe, expect, it } from '@jest/globals';
import {
  InvalidLockOptionsError,
  type LockBackend,
  LockManager,
  type LockOptions,
  MemoryLockBackend,
} from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';
import { plainBackend } from '../support/plain-backend.js';

describe('fair, permits, mode and several keys: option checks', () => {
  const managers: LockManager[] = [];
  const manager = (backend: LockBackend = new MemoryLockBackend(), fair?: boolean) => {
    const locks = new LockManager({ backend, defaults: fair === undefined ? {} : { fair } });
    managers.push(locks);
    return locks;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((locks) => locks.close()));
  });

  it.each<[string, unknown, LockOptions, string]>([
    ['permits of 0', 'k', { permits: 0 }, 'permits'],
    ['fractional permits', 'k', { permits: 1.5 }, 'permits'],
    ['permits as a string', 'k', { permits: '3' as unknown as number }, 'permits'],
    ['too many permits', 'k', { permits: 1_000_001 }, 'permits'],
    ['fair as a string', 'k', { fair: 'yes' as unknown as boolean }, 'fair'],
    ['a fair semaphore', 'k', { permits: 3, fair: true }, 'fair'],
    ['a semaphore on several keys', ['a', 'b'], { permits: 3 }, 'permits'],
    ['a fair lock on several keys', ['a', 'b'], { fair: true }, 'fair'],
    ['an empty array of keys', [], {}, 'key'],
    ['65 keys', Array.from({ length: 65 }, (_, i) => `k${i}`), {}, 'key'],
    ['an array with an empty key', ['a', ''], {}, 'key'],
    ['an array with a number', ['a', 7], {}, 'key'],
    ['an unknown mode', 'k', { mode: 'shared' as unknown as 'read' }, 'mode'],
    ['a mode in capitals', 'k', { mode: 'READ' as unknown as 'read' }, 'mode'],
    ['a read semaphore', 'k', { mode: 'read', permits: 3 }, 'mode'],
    ['a read lock on several keys', ['a', 'b'], { mode: 'read' }, 'mode'],
  ])('refuses %s with InvalidLockOptionsError naming the field', async (_, key, options, field) => {
    const locks = manager();
    const error = await locks.acquire(key as string, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe(field);
    // Nothing was taken.
    expect(await locks.isLocked('k')).toBe(false);
    expect(await locks.isLocked('a')).toBe(false);
  });

  it.each<[string, unknown, LockOptions, string, RegExp]>([
    ['fair', 'k', { fair: true }, 'fair', /fair locks/],
    ['permits', 'k', { permits: 2 }, 'permits', /semaphores/],
    ['several keys', ['a', 'b'], {}, 'key', /several keys/],
    ['a read lock', 'k', { mode: 'read' }, 'mode', /read-write locks/],
    ['a write lock', 'k', { mode: 'write' }, 'mode', /read-write locks/],
  ])('refuses %s on a backend that does not offer it', async (_, key, options, field, message) => {
    const locks = manager(plainBackend());
    const error = await locks.acquire(key as string, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/plain backend/);
  });

  it('refuses a module-wide fair default on a backend without fair locks, at construction', () => {
    expect(() => manager(plainBackend(), true)).toThrow(InvalidLockOptionsError);
    expect(() => manager(plainBackend(), 'no' as unknown as boolean)).toThrow(/defaults\.fair/);
  });

  it('applies a fair default to plain locks, but not to semaphores or several keys', async () => {
    const acquires: unknown[] = [];
    const spy = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') acquires.push([call.capability ?? 'mutex', call.args[3]]);
      return proceed();
    });
    const locks = manager(spy, true);
    await (await locks.acquire('plain')).release();
    await (await locks.acquire('opted-out', { fair: false })).release();
    await (await locks.acquire('pool', { permits: 2 })).release();
    await (await locks.acquire(['a', 'b'])).release();
    await (await locks.tryAcquire('single'))!.release();
    expect(acquires).toEqual([
      ['fair', { ticketTtlMs: 3_000, join: false }],
      ['mutex', undefined],
      ['semaphore', 2],
      ['multiKey', undefined],
      ['fair', { ticketTtlMs: 3_000, join: false }],
    ]);
  });

  it('sends a read or write lock to the read-write capability, with the fair default', async () => {
    const acquires: unknown[] = [];
    const spy = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') acquires.push([call.capability ?? 'mutex', call.args[3]]);
      return proceed();
    });
    const locks = manager(spy, true);
    await (await locks.acquire('r', { mode: 'read' })).release();
    await (await locks.tryAcquire('w', { mode: 'write', fair: false }))!.release();
    expect(acquires).toEqual([
      ['readWrite', { mode: 'read', fair: true, ticketTtlMs: 3_000, join: false }],
      ['readWrite', { mode: 'write', fair: false, ticketTtlMs: 3_000, join: false }],
    ]);
  });

  it('joins the queue only when it will wait', async () => {
    const joins: unknown[] = [];
    const spy = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') {
        joins.push(call.capability === 'fair' ? (call.args[3] as { join: boolean }).join : 'plain');
      }
      return proceed();
    });
    const locks = manager(spy);
    await locks.acquire('k', { fair: true, wait: 1_000 });
    expect(await locks.tryAcquire('k', { fair: true })).toBeNull();
    expect(joins).toEqual([true, false]);
  });

  it('sorts and de-duplicates several keys, and names the lock after them', async () => {
    const locks = manager();
    const lock = await locks.acquire(['b', 'a', 'b']);
    expect(lock.keys).toEqual(['a', 'b']);
    expect(lock.key).toBe('a,b');
    await lock.release();
    // A nested using of the same keys, in any order, re-enters.
    await locks.using(['b', 'a'], async (outer) => {
      await locks.using(['a', 'b'], async (inner) => expect(inner).toBe(outer));
    });
  });

  it('treats an array of one key as that key', async () => {
    const locks = manager();
    const lock = await locks.acquire(['only']);
    expect(lock.key).toBe('only');
    expect((await locks.inspect('only'))?.owner).toBe(lock.owner);
  });
});
