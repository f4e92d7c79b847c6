import assert from 'node:assert/strict';
import { ResultNotShareableError, SharedRunFailedError } from '../contract/errors.js';
import { refuseShare } from './conformance-results.cases.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';
import { interceptBackend } from './intercept-backend.js';

class RebuildFailed extends Error {
  readonly code = 'CATALOG_DOWN';
}

/** Merging racing calls: one run per burst, across managers, its outcome shared by all. */
export const shareCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'share: 4 managers × 4 racing callers run once and get 16 equal results',
    timeoutMs: 60_000,
    run: withFeature('results', refuseShare, async ({ manager }) => {
      const managers = await Promise.all(Array.from({ length: 4 }, () => manager()));
      let runs = 0;
      const rebuild = async (): Promise<{ version: number; at: Date }> => {
        runs++;
        await sleep(400);
        return { version: runs, at: new Date(0) };
      };
      const results = await Promise.all(
        managers.flatMap((locks) =>
          Array.from({ length: 4 }, () => locks.share('catalog', rebuild)),
        ),
      );
      assert.equal(runs, 1, `the rebuild ran ${runs} times`);
      for (const result of results) {
        // What JSON gives back, for the runner too.
        assert.deepEqual(result, { version: 1, at: new Date(0).toISOString() });
      }
      // A caller arriving after the run completed runs again.
      assert.deepEqual(await managers[2]!.share('catalog', rebuild), {
        version: 2,
        at: new Date(0).toISOString(),
      });
    }),
  },
  {
    name: 'share: a failed run fails its waiters with SharedRunFailedError, and the runner as it threw',
    timeoutMs: 60_000,
    run: withFeature('results', refuseShare, async ({ manager }) => {
      const [runner, waiter] = await Promise.all([manager(), manager()]);
      let runs = 0;
      const started = runner.share('failing', async () => {
        runs++;
        await sleep(400);
        throw new RebuildFailed('catalog service unavailable');
      });
      await sleep(100);
      const waited = waiter.share('failing', async () => {
        runs++;
        return 'ran again';
      });
      await assert.rejects(started, RebuildFailed);
      const error = await waited.catch((reason: unknown) => reason);
      assert.ok(error instanceof SharedRunFailedError, String(error));
      assert.equal(error.code, 'LOCK_SHARED_RUN_FAILED');
      assert.equal(error.originalName, 'Error');
      assert.equal(error.originalCode, 'CATALOG_DOWN');
      assert.equal(error.originalMessage, 'catalog service unavailable');
      assert.equal(runs, 1);
    }),
  },
  {
    name: 'share: when the running caller dies, exactly one waiter runs again and the rest share it',
    timeoutMs: 60_000,
    run: withFeature('results', refuseShare, async ({ manager, backend }) => {
      // The dying runner's renewals go nowhere, so its lease runs out in the store.
      const dead = interceptBackend(await backend(), (call, proceed) =>
        call.method === 'extend'
          ? Promise.resolve((call.args[0] as unknown[]).map(() => undefined))
          : proceed(),
      );
      const dying = await manager({ backend: dead });
      const waiters = await Promise.all(Array.from({ length: 3 }, () => manager()));
      let runs = 0;
      let finishDying: () => void = () => undefined;
      const dyingRun = dying.share(
        'orphan',
        async () => {
          runs++;
          await new Promise<void>((resolve) => {
            finishDying = resolve;
          });
          return 'from the dead';
        },
        { ttl: 600 },
      );
      await sleep(100);
      const results = await Promise.all(
        waiters.flatMap((locks) =>
          Array.from({ length: 2 }, () =>
            locks.share('orphan', async () => {
              runs++;
              await sleep(200);
              return 'taken over';
            }),
          ),
        ),
      );
      assert.deepEqual(results, Array(6).fill('taken over'));
      assert.equal(runs, 2, `ran ${runs} times: the runner and exactly one waiter`);
      finishDying();
      // The dead runner cannot store over its successor's outcome.
      assert.equal(await dyingRun, 'from the dead');
      assert.equal(
        await waiters[0]!.share('orphan', () => 'late', { shareFor: '1m' }),
        'taken over',
      );
    }),
  },
  {
    name: 'share: shareFor reuses a success for late callers, never a failure',
    timeoutMs: 30_000,
    run: withFeature('results', refuseShare, async ({ manager }) => {
      const [a, b] = await Promise.all([manager(), manager()]);
      let runs = 0;
      const count = async (): Promise<number> => ++runs;
      assert.equal(await a.share('cached', count, { shareFor: '10s' }), 1);
      assert.equal(await b.share('cached', count, { shareFor: '10s' }), 1);
      await sleep(100);
      assert.equal(await b.share('cached', count, { shareFor: 20 }), 2, 'an old result was reused');
      await assert.rejects(
        a.share('cached-failure', () => Promise.reject(new RebuildFailed('down')), {
          shareFor: '10s',
        }),
        /down/,
      );
      await sleep(50);
      assert.equal(await b.share('cached-failure', count, { shareFor: '10s' }), 3);
    }),
  },
  {
    name: 'share: a result that is not JSON or too large fails every caller with ResultNotShareableError',
    timeoutMs: 30_000,
    run: withFeature('results', refuseShare, async ({ manager }) => {
      const [runner, waiter] = await Promise.all([manager(), manager()]);
      for (const [key, value, options] of [
        ['bigint', { total: 10n }, {}],
        ['too-large', 'x'.repeat(2_000), { maxResultBytes: 1_000 }],
      ] as const) {
        const started = runner.share(
          key,
          async () => {
            await sleep(300);
            return value;
          },
          options,
        );
        await sleep(100);
        const waited = waiter.share(key, () => 'ran again', options);
        await assert.rejects(started, ResultNotShareableError);
        const error = await waited.catch((reason: unknown) => reason);
        assert.ok(error instanceof ResultNotShareableError, String(error));
        assert.equal(error.code, 'LOCK_RESULT_NOT_SHAREABLE');
      }
    }),
  },
];
