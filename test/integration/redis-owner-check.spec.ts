import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type LockBackend, RedisLockBackend, RedlockLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { REDIS_URL, REDLOCK_URLS } from '../support/servers.js';

/**
 * The owner check every script shares: a lock key holds "<fencing token>:<owner>", and only the
 * exact owner after the first ":" matches. An owner that is a suffix of the holder's ("cd" against
 * "ab:cd") must not pass for it.
 */
const HOLDER = 'ab:cd';
const INTRUDER = 'cd';

/**
 * With `key` held by {@link HOLDER}: the intruder can neither take, extend nor release it, the
 * store still names the holder, and the holder releases it.
 */
async function expectOnlyHolderOwns(backend: LockBackend, key: string): Promise<void> {
  expect(await backend.acquire(key, INTRUDER, 10_000)).toMatchObject({ acquired: false });
  expect(await backend.extend([{ key, owner: INTRUDER, ttlMs: 10_000 }])).toEqual([undefined]);
  expect(await backend.release(key, INTRUDER)).toBe(false);
  expect(await backend.inspect(key)).toMatchObject({ owner: HOLDER });
  expect(await backend.release(key, HOLDER)).toBe(true);
}

describe('RedisLockBackend owner check', () => {
  const backend = new RedisLockBackend({ url: REDIS_URL, onWarning: false });
  const redis = new Redis(REDIS_URL);
  const key = (name: string): string => `owner-check:${uniqueId()}:${name}`;
  afterAll(async () => {
    await backend.close();
    await redis.quit();
  });

  it('does not let an owner that ends the holder’s owner release, extend or re-take a plain lease', async () => {
    const plain = key('plain');
    const held = await backend.acquire(plain, HOLDER, 10_000);
    expect(held.acquired).toBe(true);
    await expectOnlyHolderOwns(backend, plain);
  });

  it('does not let it release, extend or re-take a fair lease', async () => {
    const fair = key('fair');
    const options = { ticketTtlMs: 5_000, join: false };
    const held = await backend.fair.acquire(fair, HOLDER, 10_000, options);
    expect(held.acquired).toBe(true);
    expect(await backend.fair.acquire(fair, INTRUDER, 10_000, options)).toMatchObject({
      acquired: false,
    });
    expect(await backend.extend([{ key: fair, owner: INTRUDER, ttlMs: 10_000 }])).toEqual([
      undefined,
    ]);
    expect(await backend.fair.release(fair, INTRUDER)).toBe(false);
    expect(await backend.inspect(fair)).toMatchObject({ owner: HOLDER });
    // The holder itself still passes: it re-takes its lease with the same token.
    expect(await backend.fair.acquire(fair, HOLDER, 10_000, options)).toMatchObject({
      acquired: true,
      fencingToken: held.acquired ? held.fencingToken : undefined,
    });
    expect(await backend.fair.release(fair, HOLDER)).toBe(true);
  });

  it('does not let it release, extend or re-take a multi-key lease', async () => {
    const keys = [key('multi:a'), key('multi:b')].sort();
    const multiKey = backend.multiKey!;
    const held = await multiKey.acquire(keys, HOLDER, 10_000);
    expect(held.acquired).toBe(true);
    expect(await multiKey.acquire(keys, INTRUDER, 10_000)).toMatchObject({ acquired: false });
    expect(await multiKey.extend([{ keys, owner: INTRUDER, ttlMs: 10_000 }])).toEqual([undefined]);
    expect(await multiKey.release(keys, INTRUDER)).toBe(false);
    for (const each of keys) expect(await backend.inspect(each)).toMatchObject({ owner: HOLDER });
    expect(await multiKey.release(keys, HOLDER)).toBe(true);
  });

  it('reads a lock value without a separator as held by nobody it can match', async () => {
    const fair = key('garbled');
    await redis.set(`{${fair}}`, 'cd', 'PX', 10_000);
    const options = { ticketTtlMs: 5_000, join: false };
    expect(await backend.fair.acquire(fair, INTRUDER, 10_000, options)).toMatchObject({
      acquired: false,
    });
    expect(await backend.fair.release(fair, INTRUDER)).toBe(false);
    expect(await backend.release(fair, INTRUDER)).toBe(false);
    expect(await backend.acquire(fair, INTRUDER, 10_000)).toMatchObject({ acquired: false });
    await redis.del(`{${fair}}`);
  });
});

describe('RedlockLockBackend owner check', () => {
  const backend = new RedlockLockBackend({ nodes: REDLOCK_URLS, onWarning: false });
  afterAll(() => backend.close());

  it('does not let an owner that ends the holder’s owner release, extend or re-take a lease', async () => {
    const plain = `owner-check:${uniqueId()}:redlock`;
    expect(await backend.acquire(plain, HOLDER, 10_000)).toMatchObject({ acquired: true });
    await expectOnlyHolderOwns(backend, plain);
  });
});
