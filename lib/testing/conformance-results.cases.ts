import assert from 'node:assert/strict';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

/** What a backend without shared outcomes must refuse. */
export const refuseShare = (locks: LockManager): Promise<unknown> => locks.share('shared', () => 1);

/** Outcomes of shared runs in the store: stored by the holder only, read back with their age. */
export const resultCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'results: the holder stores an outcome that any backend reads back, with its age',
    run: withFeature('results', refuseShare, async ({ backend, keyPrefix }) => {
      const [runner, reader] = await Promise.all([backend(), backend()]);
      const key = `${keyPrefix}catalog`;
      assert.equal(await reader.results!.get(key), null);
      assert.ok((await runner.acquire(key, 'runner', 30_000)).acquired);
      const big = JSON.stringify({ ok: true, value: 'é'.repeat(300_000) });
      assert.equal(await runner.results!.put(key, 'runner', big, 10_000), true);
      const outcome = await reader.results!.get(key);
      assert.equal(outcome?.value, big);
      assert.ok(outcome.ageMs >= 0 && outcome.ageMs < 5_000, `age ${outcome.ageMs} ms`);
      await sleep(250);
      const later = await reader.results!.get(key);
      assert.ok(later && later.ageMs >= 200, `age ${later?.ageMs} ms after 250 ms`);
      assert.equal(await runner.results!.put(key, 'runner', '"second"', 10_000), true);
      assert.equal((await reader.results!.get(key))?.value, '"second"');
      // The outcome outlives the lease it was stored under.
      assert.equal(await runner.release(key, 'runner'), true);
      assert.equal((await reader.results!.get(key))?.value, '"second"');
    }),
  },
  {
    name: 'results: only the live holder of the key stores, and an outcome expires at its ttl',
    run: withFeature('results', refuseShare, async ({ backend, keyPrefix }) => {
      const store = await backend();
      const key = `${keyPrefix}owned`;
      assert.equal(await store.results!.put(key, 'nobody', '1', 10_000), false);
      assert.ok((await store.acquire(key, 'holder', 300)).acquired);
      assert.equal(await store.results!.put(key, 'intruder', '2', 10_000), false);
      assert.equal(await store.results!.get(key), null);
      assert.equal(await store.results!.put(key, 'holder', '3', 400), true);
      await sleep(700);
      assert.equal(
        await store.results!.put(key, 'holder', '4', 10_000),
        false,
        'an expired lease stored',
      );
      assert.equal(await store.results!.get(key), null, 'the outcome outlived its ttl');
    }),
  },
];
