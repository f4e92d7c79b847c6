import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidLockOptionsError, LockManager, MemoryLockBackend } from '../../lib/index.js';
import { parseDuration } from '../../lib/manager/duration.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['0s', 0],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text, 'ttl')).toBe(ms);
  });

  it('passes numbers through for the caller to range-check', () => {
    expect(parseDuration(1_234, 'ttl')).toBe(1_234);
    expect(parseDuration(Number.POSITIVE_INFINITY, 'wait')).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ['no unit', '500'],
    ['an unknown unit', '5w'],
    ['words', '5 minutes'],
    ['a negative value', '-5s'],
    ['two values', '1m30s'],
    ['an empty string', ''],
    ['a fraction of a millisecond', '0.5ms'],
  ])('refuses %s, naming the field', (_name, text) => {
    const error = (() => {
      try {
        parseDuration(text, 'lockAtLeastFor', 'Jobs.run');
      } catch (e) {
        return e;
      }
    })() as InvalidLockOptionsError;
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.field).toBe('lockAtLeastFor');
    expect(error.where).toBe('Jobs.run');
    expect(error.message).toContain(JSON.stringify(text));
  });

  describe('in lock options', () => {
    const managers: LockManager[] = [];
    afterEach(async () => {
      await Promise.all(managers.splice(0).map((m) => m.close()));
    });
    const manager = (defaults?: object): LockManager => {
      const created = new LockManager({ backend: new MemoryLockBackend(), defaults });
      managers.push(created);
      return created;
    };

    it('takes ttl and wait as strings, in acquire, defaults and extend', async () => {
      const locks = manager({ ttl: '2m', wait: '0s' });
      expect(locks.defaults).toEqual({ ttl: 120_000, wait: 0, fair: false });
      const lock = await locks.acquire('k', { ttl: '1h' });
      expect(lock.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_590_000);
      await lock.extend('10s');
      expect(lock.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(10_000);
      await expect(locks.acquire('k', { wait: '20ms' })).rejects.toMatchObject({
        code: 'LOCK_NOT_ACQUIRED',
      });
    });

    it('refuses a malformed or out-of-range string with the field named', async () => {
      const locks = manager();
      await expect(locks.acquire('k', { ttl: '5 min' as '5m' })).rejects.toMatchObject({
        field: 'ttl',
      });
      await expect(locks.acquire('k', { ttl: '0s' })).rejects.toMatchObject({ field: 'ttl' });
      await expect(locks.acquire('k', { ttl: '30d' })).rejects.toMatchObject({ field: 'ttl' });
      await expect(locks.acquire('k', { wait: 'soon' as '1s' })).rejects.toMatchObject({
        field: 'wait',
      });
      expect(() => manager({ ttl: '1x' })).toThrow(InvalidLockOptionsError);
    });
  });
});
