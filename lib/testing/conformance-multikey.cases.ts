import assert from 'node:assert/strict';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

const refuseMultiKey = (locks: LockManager): Promise<unknown> => locks.acquire(['a', 'b']);

/** Locks on several keys: all or none, atomically, with one fencing token. */
export const multiKeyCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'multi-key: takes every key or none',
    run: withFeature('multiKey', refuseMultiKey, async ({ manager }) => {
      const [holder, taker, observer] = await Promise.all([manager(), manager(), manager()]);
      const blocker = await holder.acquire('b', { ttl: 10_000 });
      assert.equal(await taker.tryAcquire(['a', 'b', 'c']), null);
      for (const key of ['a', 'c']) {
        assert.equal(await observer.inspect(key), null, `a failed attempt left ${key} taken`);
      }
      await blocker.release();
      const all = await taker.acquire(['c', 'b', 'a']);
      assert.deepEqual(all.keys, ['a', 'b', 'c']);
      assert.equal(all.key, 'a,b,c');
      for (const key of ['a', 'b', 'c']) {
        const info = await taker.inspect(key);
        assert.equal(info?.owner, all.owner, `${key} is not held by the multi-key lock`);
        assert.equal(info?.fencingToken, all.fencingToken);
      }
      assert.equal(await all.release(), true);
      for (const key of ['a', 'b', 'c']) assert.equal(await observer.inspect(key), null);
    }),
  },
  {
    name: 'multi-key: excludes plain locks on any of its keys, and waits for them',
    run: withFeature('multiKey', refuseMultiKey, async ({ manager }) => {
      const [single, multi] = await Promise.all([manager(), manager()]);
      const both = await multi.acquire(['x', 'y'], { ttl: 10_000 });
      assert.equal(await single.tryAcquire('y'), null);
      const waiting = single.acquire('x', { wait: 8_000 });
      await sleep(200);
      await both.release();
      const x = await waiting;
      assert.ok(x.fencingToken > both.fencingToken, 'the fencing token did not increase');
      const blocked = multi.acquire(['x', 'y'], { wait: 8_000 });
      await sleep(200);
      await x.release();
      const again = await blocked;
      assert.ok(again.fencingToken > x.fencingToken);
      await again.release();
    }),
  },
  {
    name: 'multi-key: one fencing token above every earlier token of each key',
    run: withFeature('multiKey', refuseMultiKey, async ({ manager }) => {
      const locks = await manager();
      const earlier = [];
      for (const key of ['p', 'q', 'q', 'r']) {
        const lock = await locks.acquire(key);
        earlier.push(lock.fencingToken);
        await lock.release();
      }
      const all = await locks.acquire(['p', 'q', 'r']);
      assert.ok(earlier.every((token) => all.fencingToken > token));
      await all.release();
      const after = await locks.acquire('p');
      assert.ok(after.fencingToken > all.fencingToken);
    }),
  },
  {
    name: 'multi-key: callers naming the same keys in opposite orders all complete, one at a time',
    timeoutMs: 60_000,
    run: withFeature('multiKey', refuseMultiKey, async ({ manager }) => {
      const contenders = await Promise.all(Array.from({ length: 8 }, () => manager()));
      const inside = new Set<string>();
      let runs = 0;
      await Promise.all(
        contenders.map(async (locks, i) => {
          const keys = i % 2 ? ['from', 'to'] : ['to', 'from'];
          for (let round = 0; round < 5; round++) {
            await locks.using(
              keys,
              async () => {
                for (const key of keys) {
                  assert.equal(inside.has(key), false, `${key} was held twice`);
                  inside.add(key);
                }
                await sleep(2);
                for (const key of keys) inside.delete(key);
                runs++;
              },
              { wait: 30_000 },
            );
          }
        }),
      );
      assert.equal(runs, 40);
    }),
  },
  {
    name: 'multi-key: renewal keeps every key, and losing one loses the lock',
    timeoutMs: 30_000,
    run: withFeature('multiKey', refuseMultiKey, async ({ manager, backend, keyPrefix }) => {
      const [holder, rival] = await Promise.all([manager(), manager()]);
      const lock = await holder.acquire(['m', 'n'], { ttl: 400 });
      await sleep(1_200);
      assert.equal(lock.isHeld(), true);
      assert.equal(await rival.tryAcquire('m'), null);
      assert.equal(await rival.tryAcquire('n'), null);
      await lock.extend(20_000);
      // Someone frees one key behind the holder's back (as an expiry would): the lock is lost.
      const store = await backend();
      assert.equal(await store.release(`${keyPrefix}n`, lock.owner), true);
      await assert.rejects(lock.extend(), { code: 'LOCK_LOST' });
      assert.equal(lock.signal.aborted, true);
      // The key it still held (for 20 s more) is given back at once.
      const m = await rival.acquire('m', { wait: 5_000, ttl: 60_000 });
      assert.ok(m.fencingToken > lock.fencingToken);
    }),
  },
];
