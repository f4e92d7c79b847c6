import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type Lock,
  type LockBackend,
  LockLostError,
  LockManager,
  type LockManagerOptions,
  LockNotAcquiredError,
} from '../../lib/index.js';
import { aborted, sleep, uniqueId } from '../support/async.js';
import type { ConformanceStore, ConformanceTarget } from './conformance-target.js';

/** Counts the acquire attempts a backend receives. */
function counting(backend: LockBackend): LockBackend & { attempts: number } {
  const counted = Object.assign(Object.create(null) as object, {
    attempts: 0,
    name: backend.name,
    acquire: (key: string, owner: string, ttlMs: number) => {
      counted.attempts++;
      return backend.acquire(key, owner, ttlMs);
    },
    extend: backend.extend.bind(backend),
    release: backend.release.bind(backend),
    inspect: backend.inspect.bind(backend),
    subscribe: backend.subscribe?.bind(backend),
    close: backend.close.bind(backend),
  });
  return counted;
}

/**
 * The backend contract as a test suite. Every backend runs it unchanged against a real store;
 * contenders are separate managers, each with its own backend (its own connection where the store
 * has connections), as separate processes would be.
 */
export function describeBackendConformance(target: ConformanceTarget): void {
  describe(`${target.name} backend conformance`, () => {
    let store: ConformanceStore;
    let keyPrefix: string;
    const managers: LockManager[] = [];

    const manager = (options: Partial<LockManagerOptions> = {}): LockManager => {
      const created = new LockManager({ backend: store.open(), keyPrefix, ...options });
      managers.push(created);
      return created;
    };

    beforeEach(() => {
      store = target.createStore();
      keyPrefix = `conformance:${uniqueId()}:`;
    });

    afterEach(async () => {
      await Promise.all(managers.splice(0).map((m) => m.close()));
      await store.close();
    });

    it('grants a free key, reports it in inspect and frees it on release', async () => {
      const locks = manager();
      const lock = await locks.acquire('k', { ttl: 5_000 });
      expect(lock.isHeld()).toBe(true);
      expect(lock.owner).toMatch(/^[0-9a-f]{32}$/);
      const info = await locks.inspect('k');
      expect(info).toMatchObject({ key: 'k', fencingToken: lock.fencingToken, owner: lock.owner });
      expect(info!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_000);
      expect(await manager().inspect('k')).not.toHaveProperty('owner');
      expect(await lock.release()).toBe(true);
      expect(lock.isHeld()).toBe(false);
      expect(await locks.isLocked('k')).toBe(false);
      expect(await locks.inspect('k')).toBeNull();
    });

    it('lets exactly one of 16 concurrent contenders win, round after round', async () => {
      const contenders = Array.from({ length: 16 }, () => manager());
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(
          contenders.map((m) => m.tryAcquire(`race:${round}`, { ttl: 5_000 })),
        );
        const winners = results.filter((lock): lock is Lock => lock !== null);
        expect(winners).toHaveLength(1);
        await winners[0]!.release();
      }
    });

    it('never lets two of 16 waiting contenders into the critical section together', async () => {
      let inside = 0;
      let maxInside = 0;
      let counter = 0;
      const contenders = Array.from({ length: 16 }, () => manager());
      await Promise.all(
        contenders.map(async (m) => {
          for (let i = 0; i < 5; i++) {
            await m.using(
              'section',
              async () => {
                inside++;
                maxInside = Math.max(maxInside, inside);
                const read = counter;
                await sleep(1);
                counter = read + 1;
                inside--;
              },
              { ttl: 5_000, wait: 30_000 },
            );
          }
        }),
      );
      expect(maxInside).toBe(1);
      expect(counter).toBe(80);
    });

    it('returns the same lease and fencing token to an acquire retried by the same owner', async () => {
      const backend = store.open();
      const first = await backend.acquire(`${keyPrefix}idem`, 'owner-a', 5_000);
      const retry = await backend.acquire(`${keyPrefix}idem`, 'owner-a', 5_000);
      const other = await backend.acquire(`${keyPrefix}idem`, 'owner-b', 5_000);
      expect(first.acquired && retry.acquired).toBe(true);
      expect(first.acquired && retry.acquired && retry.fencingToken === first.fencingToken).toBe(
        true,
      );
      expect(other).toMatchObject({ acquired: false });
      expect(await backend.release(`${keyPrefix}idem`, 'owner-a')).toBe(true);
    });

    it('issues strictly increasing fencing tokens across holders, releases and expiries', async () => {
      const [a, b, c] = [manager(), manager(), manager()];
      const tokens: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        for (const m of [a, b, c]) {
          const lock = await m.acquire('fenced');
          tokens.push(lock.fencingToken);
          await lock.release();
        }
      }
      const expiring = await a.acquire('fenced', { ttl: 100, autoRenew: false });
      tokens.push(expiring.fencingToken);
      const next = await b.acquire('fenced', { wait: 5_000 });
      tokens.push(next.fencingToken);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
    });

    it('only lets the owner release a lock', async () => {
      const backend = store.open();
      const holder = manager();
      const lock = await holder.acquire('owned', { ttl: 5_000 });
      expect(await backend.release(`${keyPrefix}owned`, 'not-the-owner')).toBe(false);
      expect(await backend.release(`${keyPrefix}owned`, `${lock.owner}x`)).toBe(false);
      expect(await holder.isLocked('owned')).toBe(true);
      expect(lock.isHeld()).toBe(true);
      expect(await backend.release(`${keyPrefix}owned`, lock.owner)).toBe(true);
      expect(await holder.isLocked('owned')).toBe(false);
    });

    it('only lets the owner extend a lock', async () => {
      const backend = store.open();
      const holder = manager();
      const lock = await holder.acquire('owned', { ttl: 5_000 });
      const before = (await holder.inspect('owned'))!.expiresAt.getTime();
      const results = await backend.extend([
        { key: `${keyPrefix}owned`, owner: 'not-the-owner', ttlMs: 60_000 },
        { key: `${keyPrefix}owned`, owner: lock.owner, ttlMs: 60_000 },
        { key: `${keyPrefix}free`, owner: lock.owner, ttlMs: 60_000 },
      ]);
      expect(results[0]).toBeUndefined();
      expect(results[1]).toBeGreaterThan(before + 30_000);
      expect(results[2]).toBeUndefined();
    });

    it('expires a lease after its ttl: another owner takes over and the old holder is told', async () => {
      const [a, b] = [manager(), manager()];
      const lost: string[] = [];
      a.on('lost', (event) => lost.push(event.key));
      const first = await a.acquire('expiring', { ttl: 200, autoRenew: false });
      expect(await b.tryAcquire('expiring')).toBeNull();
      const reason = await aborted(first.signal, 5_000);
      expect(reason).toBeInstanceOf(LockLostError);
      expect(first.isHeld()).toBe(false);
      const second = await b.acquire('expiring', { wait: 5_000 });
      expect(second.fencingToken > first.fencingToken).toBe(true);
      expect(lost).toEqual(['expiring']);
    });

    it('refuses to extend a lease that has expired', async () => {
      const locks = manager();
      const backend = store.open();
      const lock = await locks.acquire('stale', { ttl: 100, autoRenew: false });
      await aborted(lock.signal, 5_000);
      await sleep(50);
      expect(
        await backend.extend([{ key: `${keyPrefix}stale`, owner: lock.owner, ttlMs: 5_000 }]),
      ).toEqual([undefined]);
      await expect(lock.extend(5_000)).rejects.toBeInstanceOf(LockLostError);
      expect(await locks.isLocked('stale')).toBe(false);
    });

    it('aborts the signal within one renewal period when the store no longer has the lease', async () => {
      const locks = manager();
      const lock = await locks.acquire('vanishing', { ttl: 900 });
      // The lease disappears from the store (an operator DEL, a failover that lost it...).
      expect(await store.open().release(`${keyPrefix}vanishing`, lock.owner)).toBe(true);
      // Renewal runs every ttl/3 = 300 ms; allow a generous bound for a loaded machine.
      const reason = (await aborted(lock.signal, 5_000)) as LockLostError;
      expect(reason).toBeInstanceOf(LockLostError);
      expect(reason.reason).toBe('not-held');
      expect(reason.key).toBe('vanishing');
      expect(lock.isHeld()).toBe(false);
      await expect(lock.extend()).rejects.toBeInstanceOf(LockLostError);
    });

    it('keeps a lock across five times its ttl by renewing it', async () => {
      const [holder, rival] = [manager(), manager()];
      const lock = await holder.acquire('renewed', { ttl: 300 });
      for (let i = 0; i < 10; i++) {
        await sleep(150);
        expect(await rival.tryAcquire('renewed')).toBeNull();
      }
      expect(lock.isHeld()).toBe(true);
      expect(lock.signal.aborted).toBe(false);
      expect((await rival.inspect('renewed'))!.fencingToken).toBe(lock.fencingToken);
      expect(await lock.release()).toBe(true);
    });

    it('wakes a waiter on release without polling', async () => {
      const holder = manager();
      const backend = counting(store.open());
      const waiter = manager({ backend });
      const lock = await holder.acquire('handoff', { ttl: 10_000 });
      const waiting = waiter.acquire('handoff', { wait: 8_000 });
      await sleep(300);
      await lock.release();
      const next = await waiting;
      expect(next.fencingToken > lock.fencingToken).toBe(true);
      // First try, one more once subscribed (a release may fall in between), one on the wake-up.
      expect(backend.attempts).toBeLessThanOrEqual(3);
    });

    it('takes over from a holder that died without releasing, at its expiry', async () => {
      const holder = manager();
      const backend = counting(store.open());
      const waiter = manager({ backend });
      const dead = await holder.acquire('abandoned', { ttl: 400, autoRenew: false });
      const next = await waiter.acquire('abandoned', { wait: 8_000 });
      expect(next.fencingToken > dead.fencingToken).toBe(true);
      // No release notification: the waiter sleeps until the ttl the store reported, then retries.
      expect(backend.attempts).toBeLessThanOrEqual(5);
    });

    it('gives up after `wait` with LockNotAcquiredError naming the key and when it frees', async () => {
      const [holder, waiter] = [manager(), manager()];
      await holder.acquire('busy', { ttl: 10_000 });
      const error = (await waiter
        .acquire('busy', { wait: 300 })
        .catch((e: unknown) => e)) as LockNotAcquiredError;
      expect(error).toBeInstanceOf(LockNotAcquiredError);
      expect(error.code).toBe('LOCK_NOT_ACQUIRED');
      expect(error.key).toBe('busy');
      expect(error.retryAfterMs).toBeGreaterThan(5_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(10_000);
      expect(error.message).toContain('"busy"');
    });

    it('treats a second release as a no-op and refuses to extend a released lock', async () => {
      const locks = manager();
      const lock = await locks.acquire('once');
      expect(await lock.release()).toBe(true);
      expect(await lock.release()).toBe(false);
      const error = await lock.extend().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockLostError);
      expect((error as LockLostError).reason).toBe('released');
    });

    it('stores keys with quotes, newlines, colons, braces and unicode verbatim', async () => {
      const locks = manager();
      for (const key of [
        'a"b\'c',
        'line\nbreak',
        'x:y:z',
        '{tag}}{',
        'ключ-🔒',
        "'); DROP TABLE locks; --",
      ]) {
        const lock = await locks.acquire(key);
        expect((await locks.inspect(key))!.fencingToken).toBe(lock.fencingToken);
        expect(await manager().tryAcquire(key)).toBeNull();
        expect(await lock.release()).toBe(true);
      }
    });
  });
}
