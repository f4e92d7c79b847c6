import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { parseHandoff, parseInboxMessage } from '../../lib/backends/redis/redis-handoff.js';
import {
  LockBackendError,
  LockManager,
  LockNotAcquiredError,
  RedisLockBackend,
} from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { REDIS_URL } from '../support/servers.js';

/**
 * What the conformance suite cannot see of fair locks, semaphores and multi-key locks on Redis:
 * the keys they leave behind, the hand-off message, and a key used as two shapes at once.
 */
describe('RedisLockBackend lease shapes', () => {
  const redis = new Redis(REDIS_URL);
  const managers: LockManager[] = [];
  /** `count` managers on separate connections, sharing a fresh key prefix. */
  const withPrefix = (count: number): LockManager[] => {
    const keyPrefix = `shapes:${uniqueId()}:`;
    return Array.from({ length: count }, () => {
      const locks = new LockManager({
        backend: new RedisLockBackend({ url: REDIS_URL, onWarning: false }),
        keyPrefix,
      });
      managers.push(locks);
      return locks;
    });
  };
  const manager = (): LockManager => {
    const [locks] = withPrefix(1);
    return locks!;
  };
  afterAll(async () => {
    await Promise.all(managers.map((locks) => locks.close()));
    await redis.quit();
  });

  it("hands off on the new holder's inbox channel, and leaves no queue behind", async () => {
    const [holder, waiter] = withPrefix(2) as [LockManager, LockManager];
    const key = `{${holder.keyPrefix}fair}`;
    const subscriber = redis.duplicate();
    const onKey: string[] = [];
    const inInboxes: string[] = [];
    subscriber.on('message', (_channel, message) => onKey.push(message));
    subscriber.on('pmessage', (_pattern, _channel, message) => inInboxes.push(message));
    await subscriber.subscribe(`${key}:released`);
    await subscriber.psubscribe('nestjs-locker:inbox:*');
    try {
      const first = await holder.acquire('fair', { fair: true, ttl: 10_000 });
      const waiting = waiter.acquire('fair', { fair: true, wait: 10_000, ttl: 7_000 });
      await sleep(200);
      expect(await redis.zcard(`${key}:queue`)).toBe(1);
      const [ticket] = Object.values(await redis.hgetall(`${key}:tickets`));
      expect(ticket).toMatch(/^\d+:7000:nestjs-locker:inbox:[0-9a-f]{32}$/);
      const before = Date.now();
      await first.release();
      const next = await waiting;
      await sleep(50);
      // Only the new holder's process was told, through its inbox; the key's channel stayed quiet.
      expect(onKey).toEqual([]);
      expect(inInboxes).toHaveLength(1);
      const delivery = parseInboxMessage(inInboxes[0]!);
      expect(delivery?.channel).toBe(`${key}:released`);
      expect(delivery?.handoff.owner).toBe(next.owner);
      expect(delivery?.handoff.fencingToken).toBe(next.fencingToken);
      // The hand-off granted the ttl the waiter asked for, by the server's clock.
      expect(delivery!.handoff.expiresAt).toBeGreaterThanOrEqual(before + 7_000 - 1_000);
      expect(delivery!.handoff.expiresAt).toBeLessThanOrEqual(Date.now() + 7_000 + 1_000);
      expect(await redis.exists(`${key}:queue`, `${key}:tickets`)).toBe(0);
      await next.release();
      await sleep(50);
      // Nobody was waiting any more: a plain release notification on the key's channel.
      expect(onKey).toEqual(['']);
    } finally {
      await subscriber.quit();
    }
  });

  it('lets queue keys of abandoned waiters expire', async () => {
    const [holder, quitter] = withPrefix(2) as [LockManager, LockManager];
    const key = `{${holder.keyPrefix}abandoned}`;
    await holder.acquire('abandoned', { fair: true, ttl: 10_000 });
    await expect(quitter.acquire('abandoned', { fair: true, wait: 300 })).rejects.toBeInstanceOf(
      LockNotAcquiredError,
    );
    // The waiter left the queue when it gave up; nothing waits any more.
    expect(await redis.exists(`${key}:queue`, `${key}:tickets`)).toBe(0);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(5_000);
  });

  it('keeps a semaphore only as long as its last permit', async () => {
    const locks = manager();
    const key = `{${locks.keyPrefix}pool}`;
    await locks.acquire('pool', { permits: 3, ttl: 300, autoRenew: false });
    await locks.acquire('pool', { permits: 3, ttl: 600, autoRenew: false });
    expect(await redis.type(key)).toBe('zset');
    expect(await redis.zcard(key)).toBe(2);
    expect(await redis.pttl(`${key}:permits`)).toBeGreaterThan(300);
    await sleep(800);
    expect(await redis.exists(key, `${key}:permits`)).toBe(0);
    // The fence key outlives the permits, so tokens keep increasing.
    expect(await redis.exists(`${key}:fence`)).toBe(1);
  });

  it('refuses to take a mutex key as a semaphore, and a semaphore key as a mutex', async () => {
    const locks = manager();
    await locks.acquire('mutex', { ttl: 10_000 });
    const asSemaphore = await locks.acquire('mutex', { permits: 2 }).catch((e: unknown) => e);
    expect(asSemaphore).toBeInstanceOf(LockBackendError);
    expect(String((asSemaphore as LockBackendError).cause)).toMatch(/held as a mutex/);
    await locks.acquire('semaphore', { permits: 2, ttl: 10_000 });
    const asMutex = await locks.acquire('semaphore').catch((e: unknown) => e);
    expect(asMutex).toBeInstanceOf(LockBackendError);
    expect(String((asMutex as LockBackendError).cause)).toMatch(/WRONGTYPE/);
    // Neither failed attempt disturbed the holders.
    expect((await locks.inspect('mutex'))?.holders).toBeUndefined();
    expect((await locks.inspect('semaphore'))?.holders).toBe(1);
  });

  it('stores a multi-key lock as plain locks with one token, and frees every key on release', async () => {
    const locks = manager();
    const lock = await locks.acquire(['x', 'y', 'z'], { ttl: 10_000 });
    const values = await redis.mget(['x', 'y', 'z'].map((key) => `{${locks.keyPrefix}${key}}`));
    expect(new Set(values)).toEqual(new Set([`${lock.fencingToken}:${lock.owner}`]));
    await lock.release();
    const left = await redis.exists(...['x', 'y', 'z'].map((key) => `{${locks.keyPrefix}${key}}`));
    expect(left).toBe(0);
  });
});

describe('parseInboxMessage', () => {
  it('reads the owner by its byte length, whatever it contains', () => {
    const owner = 'ówner:1';
    const message = `17:1800:${Buffer.byteLength(owner)}:${owner}{k}:released`;
    expect(parseInboxMessage(message)).toEqual({
      channel: '{k}:released',
      handoff: { owner, fencingToken: 17n, expiresAt: 1800 },
    });
  });

  it.each(['', '17:1800', '17:1800:x:owner{k}', '17:1800:99:owner{k}', 'x:1800:5:owner{k}'])(
    'refuses %j',
    (message) => {
      expect(parseInboxMessage(message)).toBeUndefined();
    },
  );
});

describe('parseHandoff', () => {
  it.each([
    ['', undefined],
    ['12:34', undefined],
    ['x:34:owner', undefined],
    ['12:y:owner', undefined],
  ])('reads %j as a plain release', (message, expected) => {
    expect(parseHandoff(message)).toBe(expected);
  });

  it('reads a hand-off, with an owner that may contain colons', () => {
    expect(parseHandoff('1700000000000123:1700000030000:own:er')).toEqual({
      owner: 'own:er',
      fencingToken: 1_700_000_000_000_123n,
      expiresAt: 1_700_000_030_000,
    });
  });
});
