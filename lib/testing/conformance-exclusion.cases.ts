import assert from 'node:assert/strict';
import { LockLostError } from '../contract/errors.js';
import type { Lock } from '../manager/lock.js';
import { type ConformanceCaseDefinition, sleep } from './conformance-support.js';

/** Mutual exclusion, ownership, fencing tokens and keys: what holds whatever the timing. */
export const exclusionCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'grants a free key, reports it in inspect and frees it on release',
    async run({ manager }) {
      const locks = await manager();
      const lock = await locks.acquire('k', { ttl: 5_000 });
      assert.equal(lock.isHeld(), true);
      // The manager's instance id, then 128 random bits.
      assert.match(lock.owner, new RegExp(`^${locks.instanceId}-[0-9a-f]{32}$`));
      const info = await locks.inspect('k');
      assert.ok(info, 'inspect() found no lease on a held key');
      assert.equal(info.key, 'k');
      assert.equal(info.fencingToken, lock.fencingToken);
      assert.equal(info.owner, lock.owner);
      assert.ok(info.expiresAt.getTime() > Date.now() + 3_000, 'expiresAt is less than 3 s ahead');
      const seenByOther = await (await manager()).inspect('k');
      assert.ok(seenByOther && !('owner' in seenByOther), 'another manager was told the owner');
      assert.equal(await lock.release(), true);
      assert.equal(lock.isHeld(), false);
      assert.equal(await locks.isLocked('k'), false);
      assert.equal(await locks.inspect('k'), null);
    },
  },
  {
    name: 'lets exactly one of 16 concurrent contenders win, round after round',
    async run({ manager }) {
      const contenders = await Promise.all(Array.from({ length: 16 }, () => manager()));
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(
          contenders.map((m) => m.tryAcquire(`race:${round}`, { ttl: 5_000 })),
        );
        const winners = results.filter((lock): lock is Lock => lock !== null);
        assert.equal(winners.length, 1, `round ${round} had ${winners.length} winners`);
        await winners[0]!.release();
      }
    },
  },
  {
    name: 'never lets two of 16 waiting contenders into the critical section together',
    async run({ manager }) {
      let inside = 0;
      let maxInside = 0;
      let counter = 0;
      const contenders = await Promise.all(Array.from({ length: 16 }, () => manager()));
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
      assert.equal(maxInside, 1);
      assert.equal(counter, 80);
    },
  },
  {
    name: 'returns the same lease and fencing token to an acquire retried by the same owner',
    async run({ backend, keyPrefix }) {
      const store = await backend();
      const key = `${keyPrefix}idem`;
      const first = await store.acquire(key, 'owner-a', 5_000);
      const retry = await store.acquire(key, 'owner-a', 5_000);
      const other = await store.acquire(key, 'owner-b', 5_000);
      assert.ok(first.acquired && retry.acquired, 'the owner was refused its own key');
      assert.equal(retry.fencingToken, first.fencingToken);
      assert.equal(other.acquired, false);
      assert.equal(await store.release(key, 'owner-a'), true);
    },
  },
  {
    name: 'issues strictly increasing fencing tokens across holders, releases and expiries',
    async run({ manager }) {
      const [a, b, c] = await Promise.all([manager(), manager(), manager()]);
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
      for (let i = 1; i < tokens.length; i++) {
        assert.ok(tokens[i]! > tokens[i - 1]!, `token ${tokens[i]} follows ${tokens[i - 1]}`);
      }
    },
  },
  {
    name: 'only lets the owner release a lock',
    async run({ manager, backend, keyPrefix }) {
      const store = await backend();
      // Session leases are released through the backend that took them, by their owner only.
      const holder = await manager(store.sessionLeases ? { backend: store } : {});
      const lock = await holder.acquire('owned', { ttl: 5_000 });
      if (store.sessionLeases) {
        const elsewhere = await backend();
        assert.equal(await elsewhere.release(`${keyPrefix}owned`, lock.owner), false);
        assert.equal(await holder.isLocked('owned'), true);
      }
      assert.equal(await store.release(`${keyPrefix}owned`, 'not-the-owner'), false);
      assert.equal(await store.release(`${keyPrefix}owned`, `${lock.owner}x`), false);
      assert.equal(await holder.isLocked('owned'), true);
      assert.equal(lock.isHeld(), true);
      assert.equal(await store.release(`${keyPrefix}owned`, lock.owner), true);
      assert.equal(await holder.isLocked('owned'), false);
    },
  },
  {
    name: 'only lets the owner extend a lock',
    async run({ manager, backend, keyPrefix }) {
      const store = await backend();
      // Session leases are extended through the backend that took them, by their owner only.
      const holder = await manager(store.sessionLeases ? { backend: store } : {});
      const lock = await holder.acquire('owned', { ttl: 5_000 });
      if (store.sessionLeases) {
        const elsewhere = await backend();
        const [foreign] = await elsewhere.extend([
          { key: `${keyPrefix}owned`, owner: lock.owner, ttlMs: 60_000 },
        ]);
        assert.equal(foreign, undefined);
      }
      const before = (await holder.inspect('owned'))!.expiresAt.getTime();
      const results = await store.extend([
        { key: `${keyPrefix}owned`, owner: 'not-the-owner', ttlMs: 60_000 },
        { key: `${keyPrefix}owned`, owner: lock.owner, ttlMs: 60_000 },
        { key: `${keyPrefix}free`, owner: lock.owner, ttlMs: 60_000 },
      ]);
      assert.equal(results[0], undefined);
      const extended = results[1];
      assert.ok(
        typeof extended === 'number' && extended > before + 30_000,
        'the owner could not extend its lease',
      );
      assert.equal(results[2], undefined);
    },
  },
  {
    name: 'treats a second release as a no-op and refuses to extend a released lock',
    async run({ manager }) {
      const locks = await manager();
      const lock = await locks.acquire('once');
      assert.equal(await lock.release(), true);
      assert.equal(await lock.release(), false);
      const error = await lock.extend().catch((e: unknown) => e);
      assert.ok(error instanceof LockLostError, 'extend() of a released lock did not reject');
      assert.equal(error.reason, 'released');
    },
  },
  {
    name: 'stores keys with quotes, newlines, colons, braces and unicode verbatim',
    async run({ manager }) {
      const [locks, other] = await Promise.all([manager(), manager()]);
      for (const key of [
        'a"b\'c',
        'line\nbreak',
        'x:y:z',
        '{tag}}{',
        'ключ-🔒',
        "'); DROP TABLE locks; --",
      ]) {
        const lock = await locks.acquire(key);
        assert.equal((await locks.inspect(key))?.fencingToken, lock.fencingToken);
        assert.equal(await other.tryAcquire(key), null);
        assert.equal(await lock.release(), true);
      }
    },
  },
];
