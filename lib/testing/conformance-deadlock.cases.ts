import assert from 'node:assert/strict';
import { LockDeadlockError, LockNotAcquiredError } from '../contract/errors.js';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';
import { refuseWaits } from './conformance-wait-graph.cases.js';

/** Resolves once `count` callers have arrived: every chain holds its first key before any waits. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    if (++arrived === count) open();
    return opened;
  };
}

/** Holds `first`, and once every chain holds its own, asks for `second` inside it. */
function crossing(
  locks: LockManager,
  first: string,
  second: string,
  allHold: () => Promise<void>,
): Promise<string> {
  return locks.using(
    first,
    async () => {
      await allHold();
      return locks.using(second, async () => `${first}->${second}`, { wait: 25_000 });
    },
    { wait: 25_000 },
  );
}

/** The outcomes of a cycle's chains: exactly one gave way with LockDeadlockError, the rest ran. */
function oneGaveWay(outcomes: PromiseSettledResult<string>[]): LockDeadlockError {
  const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
  assert.equal(
    failed.length,
    1,
    `${failed.length} chains failed: ${failed.map((f) => String(f.reason))}`,
  );
  const reason = (failed[0] as PromiseRejectedResult).reason;
  assert.ok(reason instanceof LockDeadlockError, `failed with ${String(reason)}`);
  assert.equal(reason.code, 'LOCK_DEADLOCK');
  return reason;
}

/** Deadlock detection across managers: cycles resolved by one member, near-cycles left alone. */
export const deadlockCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'deadlock: of two chains waiting for each other, exactly one gives way, naming the cycle',
    timeoutMs: 60_000,
    run: withFeature('waits', refuseWaits, async ({ manager }) => {
      const [a, b] = await Promise.all([manager(), manager()]);
      const allHold = barrier(2);
      const outcomes = await Promise.allSettled([
        crossing(a, 'account:1', 'account:2', allHold),
        crossing(b, 'account:2', 'account:1', allHold),
      ]);
      const error = oneGaveWay(outcomes);
      assert.deepEqual([...error.cycle].sort(), ['account:1', 'account:2']);
      assert.equal(error.cycle[0], error.key, 'the cycle does not start with the key waited for');
      const done = outcomes.find((outcome) => outcome.status === 'fulfilled');
      assert.ok(done && /account:\d->account:\d/.test(done.value));
      assert.equal(await a.inspect('account:1'), null);
      assert.equal(await a.inspect('account:2'), null);
    }),
  },
  {
    name: 'deadlock: 3- and 4-cycles over as many managers: one gives way, the others run',
    timeoutMs: 90_000,
    run: withFeature('waits', refuseWaits, async ({ manager }) => {
      for (const size of [3, 4]) {
        const managers = await Promise.all(Array.from({ length: size }, () => manager()));
        const allHold = barrier(size);
        const outcomes = await Promise.allSettled(
          managers.map((locks, i) =>
            crossing(locks, `ring${size}:${i}`, `ring${size}:${(i + 1) % size}`, allHold),
          ),
        );
        const error = oneGaveWay(outcomes);
        assert.equal(error.cycle.length, size);
      }
    }),
  },
  {
    name: 'deadlock: a near-cycle that frees up is never reported, however long it waits',
    timeoutMs: 60_000,
    run: withFeature('waits', refuseWaits, async ({ manager }) => {
      const [a, b, c] = await Promise.all([manager(), manager(), manager()]);
      // c holds k3 outside any chain and lets it go after several detection rounds.
      const held = await c.acquire('near:3');
      const allHold = barrier(2);
      const outcomes = await Promise.allSettled([
        crossing(a, 'near:1', 'near:2', allHold),
        crossing(b, 'near:2', 'near:3', allHold),
        sleep(2_500).then(async () => {
          await held.release();
          return 'released';
        }),
      ]);
      for (const outcome of outcomes) {
        assert.equal(
          outcome.status,
          'fulfilled',
          String((outcome as PromiseRejectedResult).reason),
        );
      }
    }),
  },
  {
    name: 'deadlock: a chain that waits for a key it holds (acquire is not re-entrant) gives way',
    timeoutMs: 30_000,
    run: withFeature('waits', refuseWaits, async ({ manager }) => {
      const locks = await manager();
      const error = await locks
        .using('self', () => locks.acquire('self', { wait: 20_000 }))
        .catch((reason: unknown) => reason);
      assert.ok(error instanceof LockDeadlockError, String(error));
      assert.deepEqual(error.cycle, ['self']);
      assert.equal(await locks.inspect('self'), null);
    }),
  },
  {
    name: 'deadlock: with detection off a cycle waits out its deadline, and nobody gives way early',
    timeoutMs: 30_000,
    run: withFeature('waits', refuseWaits, async ({ manager }) => {
      const [a, b] = await Promise.all([
        manager({ detectDeadlocks: false }),
        manager({ detectDeadlocks: false }),
      ]);
      const allHold = barrier(2);
      const run = (locks: LockManager, first: string, second: string): Promise<unknown> =>
        locks.using(first, async () => {
          await allHold();
          return locks.using(second, () => 'ran', { wait: 2_000 });
        });
      const outcomes = await Promise.allSettled([
        run(a, 'off:1', 'off:2'),
        run(b, 'off:2', 'off:1'),
      ]);
      // The first to time out unwinds and lets the other in (or both time out together).
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.ok(failed.length >= 1, 'a cycle ended without a timeout');
      for (const outcome of failed) {
        assert.ok(outcome.reason instanceof LockNotAcquiredError, String(outcome.reason));
      }
    }),
  },
];
