import assert from 'node:assert/strict';
import type { LockEvents } from '../manager/lock-events.js';
import { type ConformanceCaseDefinition, sleep } from './conformance-support.js';

/** The events a manager emits: each one a real change of what this process holds. */
export const eventCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'emits no lost event over cron-tick claims that run out: one claim and one run per tick',
    async run({ manager }) {
      // Two instances ticking together, as `@SingletonCron()` does: claim the tick (a lease left
      // to run out in the store), then run the job under its run lock.
      const instances = await Promise.all([manager(), manager()]);
      const counted: Record<keyof LockEvents, number> = {
        acquired: 0,
        released: 0,
        busy: 0,
        lost: 0,
        renewalFailed: 0,
        releaseFailed: 0,
      };
      for (const locks of instances) {
        for (const event of Object.keys(counted) as (keyof LockEvents)[]) {
          locks.on(event, () => counted[event]++);
        }
      }
      const ticks = 8;
      let runs = 0;
      for (let tick = 0; tick < ticks; tick++) {
        const claimed = await Promise.all(
          instances.map(async (locks) => {
            if (!(await locks.claim(`cron:job:${tick}`, 300))) return false;
            await locks.using('cron:job', () => runs++, { ttl: 300 });
            return true;
          }),
        );
        assert.equal(claimed.filter(Boolean).length, 1, `tick ${tick} was claimed ${claimed}`);
        await sleep(100);
      }
      // By now every claim has run out in the store, and would have been reported if tracked.
      await sleep(700);
      assert.equal(runs, ticks);
      assert.deepEqual(counted, {
        acquired: ticks,
        released: ticks,
        busy: 0,
        lost: 0,
        renewalFailed: 0,
        releaseFailed: 0,
      });
    },
  },
];
