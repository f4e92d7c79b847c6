import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RELEASE } from '../../lib/backends/redis/scripts/release.lua.js';
import { type Lock, LockManager, LockNotAcquiredError, RedisLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { REDIS_URL } from '../support/servers.js';
import { attemptsOfTwoWaits } from '../support/subscribe-first.js';

/** The prefix of an inbox channel: one per backend (per process, in an app). */
const INBOXES = 'nestjs-locker:inbox:*';

/**
 * How a plain release wakes waiters on Redis: one registered process (the one registered longest),
 * on its own inbox, instead of every waiting process at once. Each manager here has a backend of
 * its own, with its own subscriber connection and inbox, as separate processes would.
 */
describe('RedisLockBackend plain waiters: one process woken per release', () => {
  const redis = new Redis(REDIS_URL);
  const managers: LockManager[] = [];
  const subscribers: Redis[] = [];
  afterAll(async () => {
    await Promise.all(managers.map((locks) => locks.close()));
    for (const subscriber of subscribers) subscriber.disconnect();
    await redis.quit();
  });

  /** `count` managers on separate backends sharing a fresh prefix, and what Redis sees of them. */
  async function setUp(count: number) {
    const keyPrefix = `wake-one:${uniqueId()}:`;
    const locks = Array.from({ length: count }, () => {
      const manager = new LockManager({
        backend: new RedisLockBackend({ url: REDIS_URL, onWarning: false }),
        keyPrefix,
      });
      managers.push(manager);
      return manager;
    });
    const lockKey = (key: string) => `{${keyPrefix}${key}}`;
    // Every wake-up sent to an inbox, and every message published for all on a release channel.
    const wakes: { inbox: string; message: string }[] = [];
    const broadcasts: string[] = [];
    const subscriber = redis.duplicate();
    subscribers.push(subscriber);
    subscriber.on('pmessage', (pattern, channel, message) => {
      if (pattern === INBOXES) wakes.push({ inbox: channel, message });
      else broadcasts.push(channel);
    });
    await subscriber.psubscribe(INBOXES, `{${keyPrefix}*}:released`);
    /** The registered sleepers of `key`, oldest first. */
    const sleepers = (key: string) => redis.zrange(`${lockKey(key)}:sleepers`, '0', '-1');
    /** Resolves once `key` has `n` registered sleepers (each waiter registers on its first miss). */
    const registered = async (key: string, n: number): Promise<string[]> => {
      for (;;) {
        const now = await sleepers(key);
        if (now.length >= n) return now;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    return { locks, keyPrefix, lockKey, wakes, broadcasts, sleepers, registered };
  }

  it('wakes the waiting processes one per release, in the order they registered', async () => {
    const { locks, lockKey, wakes, broadcasts, registered } = await setUp(4);
    const [holder, ...waiters] = locks as [LockManager, ...LockManager[]];
    let lock: Lock = await holder.acquire('k', { ttl: 30_000 });
    const order: number[] = [];
    // Started one after another, so that their registrations have a known order.
    const waiting: Promise<Lock>[] = [];
    const inboxes: string[] = [];
    for (const [i, waiter] of waiters.entries()) {
      waiting.push(
        waiter.acquire('k', { ttl: 30_000, wait: 60_000 }).then((taken) => {
          order.push(i);
          return taken;
        }),
      );
      const now = await registered('k', i + 1);
      inboxes.push(now.find((inbox) => !inboxes.includes(inbox))!);
    }
    for (let turn = 0; turn < waiters.length; turn++) {
      const before = wakes.length;
      await lock.release();
      lock = await Promise.race(waiting.filter((_, i) => !order.includes(i)));
      // One wake-up per release, to the process registered longest; nothing for all on the channel.
      expect(wakes.slice(before)).toEqual([
        { inbox: inboxes[turn], message: `wake:${lockKey('k')}:released` },
      ]);
    }
    await lock.release();
    expect(order).toEqual([0, 1, 2]);
    // The last release found nobody registered: it published for all, once.
    while (broadcasts.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(broadcasts).toEqual([`${lockKey('k')}:released`]);
    expect(await redis.exists(`${lockKey('k')}:sleepers`)).toBe(0);
  }, 30_000);

  it('a waiter on a key its process waits on already subscribes first: one miss, then it sleeps', async () => {
    const { keyPrefix } = await setUp(0);
    const store = () => new RedisLockBackend({ url: REDIS_URL, onWarning: false });
    // The first wait attempts, subscribes and attempts again (registering the process as a
    // sleeper); the second finds the channel open, subscribes first and attempts once.
    expect(await attemptsOfTwoWaits(store(), store(), keyPrefix)).toEqual({ first: 2, second: 1 });
  }, 30_000);

  it('publishes for all on the channel when no process is registered', async () => {
    const { locks, lockKey, wakes, broadcasts } = await setUp(1);
    const lock = await locks[0]!.acquire('free');
    await lock.release();
    // The release publishes on the channel only when it woke no process on its inbox.
    while (broadcasts.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(broadcasts).toEqual([`${lockKey('free')}:released`]);
    expect(wakes).toEqual([]);
  });

  it('passes a wake-up on when the woken process has no waiter left on the lock', async () => {
    const { locks, lockKey, wakes, registered } = await setUp(3);
    const [holder, leaver, stayer] = locks as [LockManager, LockManager, LockManager];
    const lock = await holder.acquire('k', { ttl: 30_000 });
    // The leaver registers, then gives up (its registration stays until it lapses).
    await expect(leaver.acquire('k', { wait: 300 })).rejects.toThrow(LockNotAcquiredError);
    const [leaverInbox] = await registered('k', 1);
    const staying = stayer.acquire('k', { ttl: 30_000, wait: 60_000 });
    const both = await registered('k', 2);
    const stayerInbox = both.find((inbox) => inbox !== leaverInbox);
    await lock.release();
    const next = await staying;
    expect(wakes.map((wake) => wake.inbox)).toEqual([leaverInbox, stayerInbox]);
    expect(wakes[1]!.message).toBe(`wake:${lockKey('k')}:released`);
    expect(next.fencingToken > lock.fencingToken).toBe(true);
    await next.release();
  }, 30_000);

  it("costs one wake-up when a registered process died: the next waiter's re-check takes the lock", async () => {
    const { locks, lockKey, wakes, registered } = await setUp(2);
    const [holder, waiter] = locks as [LockManager, LockManager];
    const lock = await holder.acquire('k', { ttl: 30_000 });
    // A process that registered first and then died: nobody reads its inbox.
    const gone = 'nestjs-locker:inbox:gone';
    await redis.zadd(`${lockKey('k')}:sleepers`, 1, gone);
    const waiting = waiter.acquire('k', { ttl: 30_000, wait: 60_000 });
    await registered('k', 2);
    await lock.release();
    const next = await waiting;
    expect(wakes.map((wake) => wake.inbox)).toEqual([gone]);
    expect(next.fencingToken > lock.fencingToken).toBe(true);
    // The dead process's place was used up by that one wake-up.
    expect(await redis.zrange(`${lockKey('k')}:sleepers`, '0', '-1')).toEqual([]);
    await next.release();
  }, 30_000);

  it('gives a woken process that lost the freed lock to a caller that did not wait the next turn', async () => {
    const { locks, keyPrefix, lockKey, wakes, registered } = await setUp(3);
    const [holder, waiter, other] = locks as [LockManager, LockManager, LockManager];
    const key = lockKey('k');
    const storeKey = `${keyPrefix}k`;
    const lock = await holder.acquire('k', { ttl: 30_000 });
    const waiting = waiter.acquire('k', { ttl: 30_000, wait: 60_000 });
    const [waiterInbox] = await registered('k', 1);
    // The holder releases and, in the same breath, someone who never waited takes the key: the
    // woken waiter's attempt can only miss.
    const barger = `1:${'b'.repeat(32)}`;
    const { keys, args } = RELEASE.call([{ key: storeKey, owner: lock.owner }]);
    await redis
      .multi()
      .eval(RELEASE.source, keys.length, ...keys, ...args)
      .set(key, barger, 'PX', 30_000)
      .exec();
    while ((await redis.get(`${key}:turn`)) !== waiterInbox) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The turn marks the fence, which tells the next grant to look at the turn.
    expect(await redis.get(`${key}:fence`)).toMatch(/^\d+!$/);
    // While the barger holds it and when it lets go, the turn is the woken waiter's.
    const released = RELEASE.call([{ key: storeKey, owner: barger.slice(2) }]);
    await redis
      .multi()
      .eval(RELEASE.source, released.keys.length, ...released.keys, ...released.args)
      .exec();
    expect(await other.tryAcquire('k')).toBeNull();
    const next = await waiting;
    expect(wakes.map((wake) => wake.inbox)).toEqual([waiterInbox, waiterInbox]);
    expect(await redis.exists(`${key}:turn`)).toBe(0);
    expect(await redis.get(`${key}:fence`)).toBe(String(next.fencingToken));
    await next.release();
  }, 30_000);

  it('marks the lease that processes wait on, so that only its release looks for them', async () => {
    const { locks, keyPrefix, lockKey, wakes, registered } = await setUp(2);
    const [holder, waiter] = locks as [LockManager, LockManager];
    const key = lockKey('k');
    const lock = await holder.acquire('k', { ttl: 30_000 });
    // Nobody waits: the lease is as it always was.
    expect(await redis.get(key)).toBe(`${lock.fencingToken}:${lock.owner}`);
    const waiting = waiter.acquire('k', { ttl: 30_000, wait: 60_000 });
    const [waiterInbox] = await registered('k', 1);
    // The waiter's miss marked it; its owner and token read as before.
    expect(await redis.get(key)).toBe(`${lock.fencingToken}!:${lock.owner}`);
    expect(await holder.inspect('k')).toMatchObject({
      owner: lock.owner,
      fencingToken: lock.fencingToken,
    });
    // Passed without the keys of its waiters (as by a process that never waited on it), a marked
    // lease is left held and answered 'waited-on'.
    const alone = [{ key: `${keyPrefix}k`, owner: lock.owner, unwatched: true }];
    const { keys, args } = RELEASE.call(alone);
    expect(keys).toEqual([key]);
    const raw = await redis.eval(RELEASE.source, keys.length, ...keys, ...args);
    expect(RELEASE.parse(raw, alone, 'redis')).toEqual(['waited-on']);
    expect(await redis.exists(key)).toBe(1);
    // The holder's release (its process never waited on the key) still wakes the waiter.
    await lock.release();
    const next = await waiting;
    expect(wakes.map((wake) => wake.inbox)).toEqual([waiterInbox]);
    // Nobody else is registered: the new lease is not marked.
    expect(await redis.get(key)).toBe(`${next.fencingToken}:${next.owner}`);
    await next.release();
  }, 30_000);

  it('reads the fencing token of a fence marked by a turn, for every kind of lock', async () => {
    const { locks, lockKey } = await setUp(1);
    const manager = locks[0]!;
    // A fence ahead of the server's clock, marked: every grant must go past its number.
    const ahead = BigInt(Date.now()) * 1_000n + 10_000_000_000n;
    const mark = async (key: string) =>
      redis.set(`${lockKey(key)}:fence`, `${ahead}!`, 'PX', 60_000);
    const kinds: [string, () => Promise<Lock>][] = [
      ['plain', () => manager.acquire('plain')],
      ['multi', () => manager.acquire(['multi', 'multi-b'])],
      ['fair', () => manager.acquire('fair', { fair: true })],
      ['semaphore', () => manager.acquire('semaphore', { permits: 2 })],
      ['write', () => manager.acquire('write', { mode: 'write' })],
      ['read', () => manager.acquire('read', { mode: 'read' })],
    ];
    for (const [key, take] of kinds) {
      await mark(key);
      const lock = await take();
      expect([key, lock.fencingToken]).toEqual([key, ahead + 1n]);
      await lock.release();
    }
  });

  it('wakes a multi-key waiter registered on the key a plain holder released', async () => {
    const { locks, lockKey, wakes, registered } = await setUp(2);
    const [holder, waiter] = locks as [LockManager, LockManager];
    const lock = await holder.acquire('a', { ttl: 30_000 });
    const waiting = waiter.acquire(['a', 'b'], { ttl: 30_000, wait: 60_000 });
    const [waiterInbox] = await registered('a', 1);
    // Registered only where it found the key busy.
    expect(await redis.exists(`${lockKey('b')}:sleepers`)).toBe(0);
    await lock.release();
    const both = await waiting;
    expect(wakes).toEqual([{ inbox: waiterInbox, message: `wake:${lockKey('a')}:released` }]);
    expect(both.fencingToken > lock.fencingToken).toBe(true);
    expect(await redis.exists(`${lockKey('a')}:sleepers`)).toBe(0);
    await both.release();
  }, 30_000);
});
