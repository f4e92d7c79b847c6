import { EtcdLockBackend } from '../../lib/index.js';
import { type LevelsReport, measureConcurrencyLevels } from '../concurrency-levels.js';
import { uncontendedContestant } from '../contestants/adapter-contestant.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import type { Contestant } from '../measure.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';
import { etcd3Lock } from './etcd3-lock.js';
import { rawEtcdRecipe } from './raw-etcd-recipe.js';

const TTL_MS = 10_000;
const UNCONTENDED = [1, 64];
/** Workers taking turns on one key in the contended section. */
const CONTENDED = 8;
const TITLE = 'etcd acquire + release';

/** All workers on one key: every op but one waits for the holder of the moment. */
function contendedContestant(adapter: LockAdapter, key: string): Contestant {
  return {
    name: adapter.name,
    description: adapter.description,
    async op() {
      const lock = await adapter.acquire(key, TTL_MS);
      await lock.release();
    },
  };
}

/**
 * etcd acquire + release: uncontended (each worker its own key) at 1 and 64 workers, then 8
 * workers taking turns on one key, against the raw `etcd3` recipe and the `etcd3` client's own
 * `lock()`. No targets: etcd is new in this release, the figures are for reference.
 */
export const etcd: Scenario = {
  name: 'etcd',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const url = await context.consensusServer('etcd');
    const adapters: LockAdapter[] = [
      rawEtcdRecipe(url),
      nestjsLocker(
        'nestjs-locker',
        '`new EtcdLockBackend({ endpoints })`: a lease per lock, one guarded transaction per acquire, watch wake-ups.',
        new EtcdLockBackend({ endpoints: url }),
      ),
      etcd3Lock(url),
    ];
    const fair = nestjsLocker(
      'nestjs-locker (fair)',
      '`new EtcdLockBackend({ endpoints })`, fair queue: waiters hold their place with a ticket record and are woken by the deletion of the record just ahead.',
      new EtcdLockBackend({ endpoints: url }),
      { fair: true },
    );
    let uncontended: LevelsReport;
    let contended: LevelsReport;
    try {
      uncontended = await measureConcurrencyLevels(
        context,
        { name: 'etcd', title: TITLE },
        adapters.map((adapter, i) => uncontendedContestant(adapter, `bench:etcd:${i}`, TTL_MS)),
        UNCONTENDED.map((concurrency) => ({ concurrency })),
      );
      contended = await measureConcurrencyLevels(
        context,
        { name: 'etcd-contended', title: `${TITLE}, ${CONTENDED} workers on one key` },
        [...adapters, fair].map((adapter, i) =>
          contendedContestant(adapter, `bench:etcd:one-key:${i}`),
        ),
        [{ concurrency: CONTENDED }],
      );
    } finally {
      await Promise.all([...adapters, fair].map((adapter) => adapter.close()));
    }
    return {
      name: 'etcd',
      title: TITLE,
      description: [
        'Each worker loops over `acquire` then `release`; one op = both, timed together, against',
        'one local etcd 3.4 member. Uncontended: each worker has its own key. Contended: 8 workers',
        'take turns on one key. The baseline is the raw lock recipe on the `etcd3` client (lease,',
        'put, range, delete + revoke); the peer is `etcd3`’s own `client.lock()`. nestjs-locker',
        'does one lease grant and one guarded transaction per acquire (a miss writes nothing), and',
        'a delete (the revoke is not waited for) per release.',
      ].join('\n'),
      contestants: [...adapters, fair],
      sections: [...uncontended.sections, ...contended.sections],
      charts: [...uncontended.charts, ...contended.charts],
      targets: [],
    };
  },
};
