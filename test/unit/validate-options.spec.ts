import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidLockOptionsError, LockManager, MemoryLockBackend } from '../../lib/index.js';

describe('LockManager option validation', () => {
  const managers: LockManager[] = [];
  const manager = (): LockManager => {
    const created = new LockManager({ backend: new MemoryLockBackend() });
    managers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  const rejects = async (
    call: Promise<unknown>,
    field: string,
  ): Promise<InvalidLockOptionsError> => {
    const error = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as InvalidLockOptionsError;
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.code).toBe('INVALID_LOCK_OPTIONS');
    expect(error.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
    return error;
  };

  it.each([
    ['an empty key', ''],
    ['a number key', 42],
    ['an undefined key', undefined],
    ['a null key', null],
    ['an object key', { id: 1 }],
    ['a key with NUL', 'order\u00001'],
    ['a key with a lone surrogate', 'order:\ud800'],
  ])('refuses %s', async (_name, key) => {
    const locks = manager();
    await rejects(locks.acquire(key as string), 'key');
    await rejects(locks.tryAcquire(key as string), 'key');
    await rejects(
      locks.using(key as string, async () => 'ran'),
      'key',
    );
    await rejects(locks.inspect(key as string), 'key');
  });

  it('refuses a key longer than 1024 bytes, counting UTF-8 bytes', async () => {
    const locks = manager();
    const error = await rejects(locks.acquire('k'.repeat(10 * 1024)), 'key');
    expect(error.message).toContain('10240 bytes');
    await rejects(locks.acquire('ключ'.repeat(200)), 'key'); // 800 characters, 1600 bytes
    await expect(locks.acquire('k'.repeat(1024))).resolves.toBeDefined();
  });

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['over 2^31 - 1', 2 ** 31],
    ['fractional', 1.5],
    ['a string', '100'],
  ])('refuses a ttl that is %s', async (_name, ttl) => {
    const locks = manager();
    const error = await rejects(locks.acquire('k', { ttl: ttl as number }), 'ttl');
    expect(error.message).toContain(String(ttl));
    expect(await locks.isLocked('k')).toBe(false);
  });

  it.each([
    ['negative', -1],
    ['NaN', Number.NaN],
    ['fractional', 0.5],
    ['over 2^31 - 1', 2 ** 31],
    ['a string', '10'],
  ])('refuses a wait that is %s', async (_name, wait) => {
    const locks = manager();
    await rejects(locks.acquire('k', { wait: wait as number }), 'wait');
    expect(await locks.isLocked('k')).toBe(false);
  });

  it('accepts an infinite wait', async () => {
    const locks = manager();
    const lock = await locks.acquire('k', { wait: Number.POSITIVE_INFINITY });
    expect(lock.isHeld()).toBe(true);
  });

  it('refuses a non-boolean autoRenew and a signal that is not an AbortSignal', async () => {
    const locks = manager();
    await rejects(locks.acquire('k', { autoRenew: 'yes' as unknown as boolean }), 'autoRenew');
    await rejects(locks.acquire('k', { signal: {} as AbortSignal }), 'signal');
  });

  it('refuses a bad ttl given to extend, keeping the lock', async () => {
    const locks = manager();
    const lock = await locks.acquire('k');
    await rejects(lock.extend(-1), 'ttl');
    expect(lock.isHeld()).toBe(true);
  });

  it('refuses bad manager options when the manager is built', () => {
    const backend = new MemoryLockBackend();
    const build = (options: object) => () => new LockManager({ backend, ...options });
    expect(build({ keyPrefix: 5 })).toThrow(expect.objectContaining({ field: 'keyPrefix' }));
    expect(build({ defaults: { ttl: 0 } })).toThrow(
      expect.objectContaining({ field: 'defaults.ttl' }),
    );
    expect(build({ defaults: { wait: -1 } })).toThrow(
      expect.objectContaining({ field: 'defaults.wait' }),
    );
    expect(build({ defaults: 'fast' })).toThrow(expect.objectContaining({ field: 'defaults' }));
    expect(() => new LockManager({ backend: {} as MemoryLockBackend })).toThrow(
      expect.objectContaining({ field: 'backend' }),
    );
  });

  it('applies the manager defaults', async () => {
    const locks = new LockManager({ backend: new MemoryLockBackend(), defaults: { ttl: 1234 } });
    managers.push(locks);
    const before = Date.now();
    const lock = await locks.acquire('k');
    expect(lock.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 1234);
    expect(lock.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 1234);
    expect(locks.defaults).toEqual({ ttl: 1234, wait: 0, fair: false });
  });
});
