import assert from 'node:assert/strict';
import type { LockBackend } from '../contract/lock-backend.js';
import type { WaitCycleMember } from '../contract/wait-graph.js';
import { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

/** What a backend without a waits-for graph must refuse: detection asked for explicitly. */
export const refuseWaits = async (locks: LockManager): Promise<unknown> =>
  new LockManager({ backend: locks.backend, detectDeadlocks: true });

/** Takes `key` in the store for a new owner, and answers the owner. */
async function hold(store: LockBackend, key: string, owner: string): Promise<string> {
  const result = await store.acquire(key, owner, 30_000);
  assert.ok(result.acquired, `could not take ${key}`);
  return owner;
}

/** The ids of a cycle's waits, without the case's prefix. */
const ids = (cycle: readonly WaitCycleMember[] | undefined, prefix: string): string[] =>
  (cycle ?? []).map((member) => member.id.slice(prefix.length));

/** The waits-for graph itself: cycles found, near-cycles not, records that end. */
export const waitGraphCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'waits: the wait that closes a 2-cycle finds it, with both waits, their keys and since',
    run: withFeature('waits', refuseWaits, async ({ backend, keyPrefix }) => {
      const [a, b] = await Promise.all([backend(), backend()]);
      const [k1, k2] = [`${keyPrefix}account:1`, `${keyPrefix}account:2`];
      const oa = await hold(a, k1, `${keyPrefix}oa`);
      const ob = await hold(b, k2, `${keyPrefix}ob`);
      const first = await a.waits!.publish(
        { id: `${keyPrefix}wa`, holds: [oa], keys: [k2] },
        10_000,
        8,
      );
      assert.deepEqual(first, [], 'a cycle before the second wait');
      const cycles = await b.waits!.publish(
        { id: `${keyPrefix}wb`, holds: [ob], keys: [k1] },
        10_000,
        8,
      );
      assert.equal(cycles.length, 1, JSON.stringify(cycles));
      const [wb, wa] = cycles[0]!;
      assert.deepEqual(ids([wb!, wa!], keyPrefix), ['wb', 'wa']);
      assert.deepEqual(wb?.keys, [k1]);
      assert.deepEqual(wa?.keys, [k2]);
      assert.ok(wb!.since > wa!.since, 'the later wait has no later since');
      assert.ok(Math.abs(wb!.since - Date.now()) < 60_000, 'since is not epoch ms');
      // Both ends see the same cycle on a refresh, and a refresh keeps since.
      const again = await a.waits!.publish(
        { id: `${keyPrefix}wa`, holds: [oa], keys: [k2] },
        10_000,
        8,
      );
      assert.deepEqual(ids(again[0], keyPrefix), ['wa', 'wb']);
      assert.equal(again[0]![0]!.since, wa!.since);
      await a.waits!.withdraw(`${keyPrefix}wa`);
      await b.waits!.withdraw(`${keyPrefix}wb`);
    }),
  },
  {
    name: 'waits: finds 3- and 4-cycles in order, and none longer than maxLength',
    run: withFeature('waits', refuseWaits, async ({ backend, keyPrefix }) => {
      const store = await backend();
      const key = (i: number): string => `${keyPrefix}k${i}`;
      for (const size of [3, 4]) {
        const owners = await Promise.all(
          Array.from({ length: size }, (_, i) =>
            hold(store, key(size * 10 + i), `${keyPrefix}o${size}-${i}`),
          ),
        );
        // Wait i holds key i and waits for key i+1; the last closes the cycle.
        for (let i = 0; i < size - 1; i++) {
          const found = await store.waits!.publish(
            {
              id: `${keyPrefix}w${size}-${i}`,
              holds: [owners[i]!],
              keys: [key(size * 10 + i + 1)],
            },
            10_000,
            8,
          );
          assert.deepEqual(found, []);
        }
        const last = {
          id: `${keyPrefix}w${size}-${size - 1}`,
          holds: [owners[size - 1]!],
          keys: [key(size * 10)],
        };
        assert.deepEqual(await store.waits!.publish(last, 10_000, size - 1), [], 'over maxLength');
        const cycles = await store.waits!.publish(last, 10_000, size);
        assert.equal(cycles.length, 1);
        assert.deepEqual(
          ids(cycles[0], keyPrefix),
          [size - 1, ...Array.from({ length: size - 1 }, (_, i) => i)].map((i) => `w${size}-${i}`),
        );
      }
    }),
  },
  {
    name: 'waits: a near-cycle, a released hold, a withdrawn or expired wait: no cycle',
    run: withFeature('waits', refuseWaits, async ({ backend, keyPrefix }) => {
      const [a, b] = await Promise.all([backend(), backend()]);
      const [k1, k2, k3] = [1, 2, 3].map((i) => `${keyPrefix}near:${i}`) as [
        string,
        string,
        string,
      ];
      const oa = await hold(a, k1, `${keyPrefix}oa`);
      const ob = await hold(b, k2, `${keyPrefix}ob`);
      await hold(b, k3, `${keyPrefix}oc`);
      // A waits for k2 (B's); B waits for k3, held by a chain that waits for nothing.
      await a.waits!.publish({ id: `${keyPrefix}wa`, holds: [oa], keys: [k2] }, 10_000, 8);
      assert.deepEqual(
        await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k3] }, 10_000, 8),
        [],
      );
      // B now waits for k1: a cycle, until A withdraws its wait.
      assert.equal(
        (await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8))
          .length,
        1,
      );
      await a.waits!.withdraw(`${keyPrefix}wa`);
      assert.deepEqual(
        await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8),
        [],
      );
      // A's wait comes back with a short ttl: a cycle until it expires.
      await a.waits!.publish({ id: `${keyPrefix}wa`, holds: [oa], keys: [k2] }, 300, 8);
      assert.equal(
        (await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8))
          .length,
        1,
      );
      await sleep(600);
      assert.deepEqual(
        await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8),
        [],
      );
      // A cycle again, until A releases k1: B's wait then points at nobody.
      await a.waits!.publish({ id: `${keyPrefix}wa`, holds: [oa], keys: [k2] }, 10_000, 8);
      assert.equal(
        (await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8))
          .length,
        1,
      );
      assert.equal(await a.release(k1, oa), true);
      assert.deepEqual(
        await b.waits!.publish({ id: `${keyPrefix}wb`, holds: [ob], keys: [k1] }, 10_000, 8),
        [],
      );
    }),
  },
  {
    name: 'waits: a chain waiting for a key it holds is a cycle of one; several keys, any of them',
    run: withFeature('waits', refuseWaits, async ({ backend, keyPrefix }) => {
      const store = await backend();
      const [k1, k2, k3] = [1, 2, 3].map((i) => `${keyPrefix}self:${i}`) as [
        string,
        string,
        string,
      ];
      const own = await hold(store, k1, `${keyPrefix}own`);
      const self = await store.waits!.publish(
        { id: `${keyPrefix}ws`, holds: [own], keys: [k1] },
        10_000,
        8,
      );
      assert.deepEqual(ids(self[0], keyPrefix), ['ws']);
      await store.waits!.withdraw(`${keyPrefix}ws`);
      // A multi-key wait is blocked by the holder of any of its keys.
      const other = await hold(store, k3, `${keyPrefix}other`);
      await store.waits!.publish({ id: `${keyPrefix}wo`, holds: [other], keys: [k1] }, 10_000, 8);
      const cycles = await store.waits!.publish(
        { id: `${keyPrefix}wm`, holds: [own], keys: [k2, k3] },
        10_000,
        8,
      );
      assert.deepEqual(ids(cycles[0], keyPrefix), ['wm', 'wo']);
      assert.deepEqual(cycles[0]![0]!.keys, [k2, k3]);
    }),
  },
  {
    name: 'waits: every read hold of a key is an edge; a semaphore permit is none',
    run: withFeature('waits', refuseWaits, async ({ backend, keyPrefix }) => {
      const store = await backend();
      if (!store.readWrite || !store.semaphore) return;
      const [rk, sk, k1] = ['read', 'sem', 'one'].map((k) => `${keyPrefix}${k}`) as [
        string,
        string,
        string,
      ];
      const rw = { fair: false, ticketTtlMs: 10_000, join: false } as const;
      for (const reader of [`${keyPrefix}r1`, `${keyPrefix}r2`]) {
        assert.ok(
          (await store.readWrite.acquire(rk, reader, 30_000, { ...rw, mode: 'read' })).acquired,
        );
      }
      const writer = await hold(store, k1, `${keyPrefix}writer`);
      await store.waits!.publish(
        { id: `${keyPrefix}wr2`, holds: [`${keyPrefix}r2`], keys: [k1] },
        10_000,
        8,
      );
      const cycles = await store.waits!.publish(
        { id: `${keyPrefix}ww`, holds: [writer], keys: [rk] },
        10_000,
        8,
      );
      assert.deepEqual(
        ids(cycles[0], keyPrefix),
        ['ww', 'wr2'],
        'a reader that waits was not an edge',
      );
      await store.waits!.withdraw(`${keyPrefix}ww`);
      for (const permit of [`${keyPrefix}p1`, `${keyPrefix}p2`]) {
        assert.ok((await store.semaphore.acquire(sk, permit, 30_000, 2)).acquired);
      }
      await store.waits!.publish(
        { id: `${keyPrefix}wp`, holds: [`${keyPrefix}p1`], keys: [k1] },
        10_000,
        8,
      );
      assert.deepEqual(
        await store.waits!.publish(
          { id: `${keyPrefix}ws`, holds: [writer], keys: [sk] },
          10_000,
          8,
        ),
        [],
        'a semaphore counted as a cycle',
      );
    }),
  },
];
