import assert from 'node:assert/strict';
import { LockLostError, LockNotAcquiredError } from '../contract/errors.js';
import type { Lock } from '../manager/lock.js';
import { type ConformanceCaseDefinition, sleep } from './conformance-support.js';

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Re-entrancy in one call chain: a re-entered hold never outlives the lease it holds. */
export const reentryCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 're-entry: a nested using of the same key runs at once and the lease ends with the outermost',
    async run({ manager }) {
      const [holder, rival] = await Promise.all([manager(), manager()]);
      await holder.using('nested', async (outer) => {
        await holder.using('nested', async (inner) => {
          assert.equal(inner, outer, 'the nested call did not re-enter the held lock');
        });
        assert.equal(outer.isHeld(), true, 'the inner call ended the outer hold');
        assert.equal(await rival.tryAcquire('nested'), null, 'a rival got in after the inner call');
      });
      const next = await rival.tryAcquire('nested');
      assert.ok(next, 'the lock was not released after the outermost call');
    },
  },
  {
    name: 're-entry: a section re-entered from a timer keeps the lock, renewed, until it ends',
    async run({ manager }) {
      const [holder, rival] = await Promise.all([manager(), manager()]);
      const started = gate();
      const finish = gate();
      let detached!: Promise<bigint>;
      let inner: Lock | undefined;
      const outerToken = await holder.using(
        'detached',
        async (outer) => {
          // Not awaited: the timer's callback belongs to this call chain and re-enters the lock.
          detached = new Promise<bigint>((resolve, reject) => {
            setTimeout(() => {
              holder
                .using('detached', async (lock) => {
                  inner = lock;
                  started.open();
                  await finish.opened;
                  assert.equal(lock.isHeld(), true, 'the re-entered section lost its lock');
                  assert.equal(lock.signal.aborted, false);
                  return lock.fencingToken;
                })
                .then(resolve, reject);
            }, 0);
          });
          await started.opened;
          return outer.fencingToken;
        },
        { ttl: 300 },
      );
      // The outer section is over; the re-entered one still runs: the lease must outlive its ttl.
      for (let i = 0; i < 6; i++) {
        assert.equal(await rival.tryAcquire('detached'), null, `a rival got in (check ${i + 1})`);
        assert.equal(inner?.signal.aborted, false, 'the running section saw its signal abort');
        await sleep(150);
      }
      finish.open();
      assert.equal(await detached, outerToken);
      assert.equal(inner?.isHeld(), false);
      const reason: unknown = inner?.signal.reason;
      assert.ok(reason instanceof LockLostError, 'a released lock kept a live signal');
      assert.equal(reason.reason, 'released');
      const next = await rival.acquire('detached', { wait: 5_000 });
      assert.ok(next.fencingToken > outerToken, 'the fencing token did not increase');
    },
  },
  {
    name: 're-entry: two sections of one call chain side by side take turns, never run together',
    async run({ manager }) {
      const locks = await manager();
      let running = 0;
      let most = 0;
      const section = async (): Promise<void> => {
        running++;
        most = Math.max(most, running);
        await sleep(30);
        running--;
      };
      await locks.using('siblings', async () => {
        await Promise.all([
          locks.using('siblings', section, { wait: 10_000 }),
          locks.using('siblings', section, { wait: 10_000 }),
          locks.using('siblings', section, { wait: 10_000 }),
        ]);
        // Without a wait, a sibling that finds the lock busy is refused like any other caller.
        const refused = await Promise.allSettled([
          locks.using('siblings', () => sleep(30)),
          locks.using('siblings', () => sleep(30)),
        ]);
        assert.equal(refused[0]?.status, 'fulfilled');
        assert.equal(refused[1]?.status, 'rejected');
        assert.ok(
          refused[1]?.status === 'rejected' && refused[1].reason instanceof LockNotAcquiredError,
          'the busy sibling was not refused with LockNotAcquiredError',
        );
      });
      assert.equal(most, 1, `${most} sections of one chain ran under the lock at once`);
      assert.equal(await locks.isLocked('siblings'), false);
    },
  },
];
