import assert from 'node:assert/strict';
import type { Lock } from '../manager/lock.js';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

const refuseSemaphore = (locks: LockManager): Promise<unknown> =>
  locks.acquire('pool', { permits: 3 });

/** Semaphores: at most N holders, each a lease of its own with its own fencing token. */
export const semaphoreCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'semaphore: grants exactly N of 16 concurrent attempts, each its own token',
    run: withFeature('semaphore', refuseSemaphore, async ({ manager }) => {
      const contenders = await Promise.all(Array.from({ length: 16 }, () => manager()));
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          contenders.map((locks) => locks.tryAcquire(`pool:${round}`, { permits: 3 })),
        );
        const winners = results.filter((lock): lock is Lock => lock !== null);
        assert.equal(winners.length, 3, `round ${round} granted ${winners.length} permits`);
        const tokens = new Set(winners.map((lock) => lock.fencingToken));
        assert.equal(tokens.size, 3, 'two permits share a fencing token');
        const info = await contenders[0]!.inspect(`pool:${round}`);
        assert.equal(info?.holders, 3);
        assert.equal(info?.fencingToken, [...tokens].sort((a, b) => (a < b ? -1 : 1)).at(-1));
        await Promise.all(winners.map((lock) => lock.release()));
        assert.equal(await contenders[0]!.inspect(`pool:${round}`), null);
      }
    }),
  },
  {
    name: 'semaphore: never lets more than N of 24 waiting contenders in together',
    timeoutMs: 60_000,
    run: withFeature('semaphore', refuseSemaphore, async ({ manager }) => {
      const contenders = await Promise.all(Array.from({ length: 24 }, () => manager()));
      let inside = 0;
      let most = 0;
      let runs = 0;
      await Promise.all(
        contenders.map(async (locks) => {
          for (let i = 0; i < 3; i++) {
            await locks.using(
              'section',
              async () => {
                inside++;
                most = Math.max(most, inside);
                await sleep(5);
                inside--;
                runs++;
              },
              { permits: 4, wait: 30_000 },
            );
          }
        }),
      );
      assert.equal(runs, 72);
      assert.ok(most <= 4, `${most} holders were inside together`);
      assert.equal(most, 4, 'the semaphore never let four in together');
    }),
  },
  {
    name: 'semaphore: fencing tokens increase with every permit granted, across releases',
    run: withFeature('semaphore', refuseSemaphore, async ({ manager }) => {
      const [a, b] = await Promise.all([manager(), manager()]);
      let last = 0n;
      const held: Lock[] = [];
      for (let i = 0; i < 6; i++) {
        if (held.length === 2) await held.shift()!.release();
        const lock = await (i % 2 ? a : b).acquire('tokens', { permits: 2 });
        assert.ok(lock.fencingToken > last, `permit ${i} did not get a larger token`);
        last = lock.fencingToken;
        held.push(lock);
      }
    }),
  },
  {
    name: 'semaphore: a permit whose holder died frees at its expiry, by the store clock',
    timeoutMs: 30_000,
    run: withFeature('semaphore', refuseSemaphore, async ({ manager }) => {
      const [dying, waiter] = await Promise.all([manager(), manager()]);
      const held = await Promise.all([
        dying.acquire('expiry', { permits: 2, ttl: 500, autoRenew: false }),
        dying.acquire('expiry', { permits: 2, ttl: 20_000 }),
      ]);
      assert.equal(await waiter.tryAcquire('expiry', { permits: 2 }), null);
      const next = await waiter.acquire('expiry', { permits: 2, wait: 8_000 });
      assert.equal(held[0]!.isHeld(), false);
      assert.equal(held[1]!.isHeld(), true);
      assert.ok(next.fencingToken > held[1]!.fencingToken);
      assert.equal((await waiter.inspect('expiry'))?.holders, 2);
    }),
  },
  {
    name: 'semaphore: renews each permit, and a release wakes a waiter',
    timeoutMs: 30_000,
    run: withFeature('semaphore', refuseSemaphore, async ({ manager }) => {
      const [holder, waiter] = await Promise.all([manager(), manager()]);
      const permits = await Promise.all([
        holder.acquire('renewed', { permits: 2, ttl: 300 }),
        holder.acquire('renewed', { permits: 2, ttl: 300 }),
      ]);
      await sleep(1_000);
      assert.ok(permits.every((lock) => lock.isHeld()));
      assert.equal(await waiter.tryAcquire('renewed', { permits: 2 }), null);
      const waiting = waiter.acquire('renewed', { permits: 2, wait: 8_000 });
      await sleep(200);
      assert.equal(await permits[0]!.release(), true);
      const next = await waiting;
      assert.equal(next.isHeld(), true);
      await permits[1]!.extend(5_000);
      assert.equal((await waiter.inspect('renewed'))?.holders, 2);
    }),
  },
  {
    name: 'semaphore: only a permit holder can extend or release its permit',
    run: withFeature('semaphore', refuseSemaphore, async ({ manager, backend, keyPrefix }) => {
      const holder = await manager();
      const store = await backend();
      const lock = await holder.acquire('owned', { permits: 2, ttl: 10_000 });
      const permits = store.semaphore!;
      const key = `${keyPrefix}owned`;
      assert.equal(await permits.release(key, 'intruder'), false);
      const [extended] = await permits.extend([{ key, owner: 'intruder', ttlMs: 60_000 }]);
      assert.equal(extended, undefined);
      const again = await permits.acquire(key, lock.owner, 10_000, 2);
      assert.ok(
        again.acquired && again.fencingToken === lock.fencingToken,
        'a retry got a new permit',
      );
      assert.equal((await holder.inspect('owned'))?.holders, 1);
      assert.equal(await lock.release(), true);
      assert.equal(await lock.release(), false);
    }),
  },
  {
    name: 'semaphore: extends many permits of several keys in one call, each on its own',
    run: withFeature('semaphore', refuseSemaphore, async ({ manager, backend, keyPrefix }) => {
      const holder = await manager();
      const store = await backend();
      // Many keys, so that on a Redis Cluster they sit on several slots and masters.
      const names = Array.from({ length: 8 }, (_, i) => `many:${i}`);
      const permits = await Promise.all(
        names.map((name) => holder.acquire(name, { permits: 2, ttl: 10_000 })),
      );
      const before = Date.now();
      const results = await store.semaphore!.extend([
        ...permits.map((lock) => ({
          key: `${keyPrefix}${lock.key}`,
          owner: lock.owner,
          ttlMs: 60_000,
        })),
        { key: `${keyPrefix}many:free`, owner: permits[0]!.owner, ttlMs: 60_000 },
        { key: `${keyPrefix}${permits[1]!.key}`, owner: 'intruder', ttlMs: 60_000 },
      ]);
      assert.equal(results.length, names.length + 2);
      for (const [i, result] of results.slice(0, names.length).entries()) {
        assert.ok(
          typeof result === 'number' && result > before + 30_000,
          `permit ${i} of the batch was not extended: ${String(result)}`,
        );
      }
      assert.deepEqual(results.slice(names.length), [undefined, undefined]);
      for (const lock of permits) assert.equal(await lock.release(), true);
    }),
  },
];
