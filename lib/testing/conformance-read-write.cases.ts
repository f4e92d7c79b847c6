import assert from 'node:assert/strict';
import { LockBackendError, LockUpgradeError } from '../contract/errors.js';
import type { ReadWriteAcquireOptions } from '../contract/read-write-locks.js';
import { currentLock } from '../manager/lock-context.js';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

/** What a backend without read-write locks must refuse. */
export const refuseReadWrite = (locks: LockManager): Promise<unknown> =>
  locks.acquire('rw', { mode: 'read' });

/** A queued attempt of the capability itself, for cases that set the queue's order by hand. */
export const queued = (
  mode: ReadWriteAcquireOptions['mode'],
  fair = false,
): ReadWriteAcquireOptions => ({
  mode,
  fair,
  ticketTtlMs: 10_000,
  join: true,
});

/** Read-write locks: shared reads, exclusive writes, fences, expiry, ownership, re-entry rules. */
export const readWriteCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'read-write: readers overlap, and a write excludes readers, writers and plain locks',
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const [a, b, c] = await Promise.all([manager(), manager(), manager()]);
      const reads = await Promise.all(
        [a, b, c].map((locks) => locks.tryAcquire('shared', { mode: 'read' })),
      );
      assert.ok(
        reads.every((lock) => lock !== null),
        'three readers could not read together',
      );
      const info = await a.inspect('shared');
      assert.equal(info?.mode, 'read');
      assert.equal(info?.holders, 3);
      assert.equal(await c.tryAcquire('shared', { mode: 'write' }), null);
      assert.equal(await c.tryAcquire('shared'), null, 'a plain lock got in with readers');
      for (const lock of reads) assert.equal(await lock!.release(), true);
      const write = await a.acquire('shared', { mode: 'write' });
      assert.equal((await b.inspect('shared'))?.mode, undefined);
      assert.equal(await b.tryAcquire('shared', { mode: 'read' }), null);
      assert.equal(await b.tryAcquire('shared', { mode: 'write' }), null);
      assert.equal(await b.tryAcquire('shared'), null);
      await write.release();
      const plain = await b.acquire('shared');
      assert.equal(await c.tryAcquire('shared', { mode: 'read' }), null, 'a reader got in');
      await plain.release();
      assert.equal(await b.inspect('shared'), null);
    }),
  },
  {
    name: 'read-write: never lets a writer in with anyone among 16 contenders, readers side by side',
    timeoutMs: 90_000,
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const contenders = await Promise.all(Array.from({ length: 16 }, () => manager()));
      let readers = 0;
      let writers = 0;
      let mostReaders = 0;
      let runs = 0;
      await Promise.all(
        contenders.map(async (locks, i) => {
          const mode = i % 4 === 0 ? 'write' : 'read';
          for (let round = 0; round < 3; round++) {
            await locks.using(
              'mixed',
              async () => {
                if (mode === 'write') writers++;
                else readers++;
                assert.ok(writers <= 1, `${writers} writers were inside together`);
                assert.ok(writers === 0 || readers === 0, 'a writer was inside with readers');
                mostReaders = Math.max(mostReaders, readers);
                await sleep(10);
                if (mode === 'write') writers--;
                else readers--;
                runs++;
              },
              { mode, wait: 60_000 },
            );
          }
        }),
      );
      assert.equal(runs, 48);
      assert.ok(mostReaders > 1, 'readers never read side by side');
    }),
  },
  {
    name: 'read-write: fencing tokens increase across reads and writes',
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const [a, b] = await Promise.all([manager(), manager()]);
      const reads = [
        await a.acquire('tokens', { mode: 'read' }),
        await b.acquire('tokens', { mode: 'read' }),
      ];
      assert.ok(reads[1]!.fencingToken > reads[0]!.fencingToken, 'two reads share a token');
      for (const lock of reads) await lock.release();
      const write = await a.acquire('tokens', { mode: 'write' });
      assert.ok(write.fencingToken > reads[1]!.fencingToken, 'a write got a token below a read');
      await write.release();
      const read = await b.acquire('tokens', { mode: 'read' });
      assert.ok(read.fencingToken > write.fencingToken, 'a read got a token below the write');
      await read.release();
    }),
  },
  {
    name: 'read-write: a dead reader’s hold expires by the store clock and lets the writer in',
    timeoutMs: 30_000,
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const [dying, living, writer] = await Promise.all([manager(), manager(), manager()]);
      const dead = await dying.acquire('expiry', { mode: 'read', ttl: 500, autoRenew: false });
      const alive = await living.acquire('expiry', { mode: 'read', ttl: 500 });
      const waiting = writer.acquire('expiry', { mode: 'write', wait: 10_000 });
      // The living reader is renewed past its ttl; the writer waits for it, not for the dead one.
      await sleep(1_000);
      assert.equal(dead.isHeld(), false);
      assert.equal(alive.isHeld(), true);
      assert.equal((await writer.inspect('expiry'))?.holders, 1);
      await alive.release();
      const write = await waiting;
      assert.ok(write.fencingToken > alive.fencingToken);
      await write.release();
    }),
  },
  {
    name: 'read-write: a dead writer’s hold expires by the store clock and lets the waiting readers in together',
    timeoutMs: 30_000,
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const dying = await manager();
      const readers = await Promise.all(Array.from({ length: 3 }, () => manager()));
      const dead = await dying.acquire('dead-writer', {
        mode: 'write',
        ttl: 500,
        autoRenew: false,
      });
      const reads = await Promise.all(
        readers.map((locks) => locks.acquire('dead-writer', { mode: 'read', wait: 10_000 })),
      );
      assert.equal(dead.isHeld(), false);
      assert.equal((await readers[0]!.inspect('dead-writer'))?.holders, 3);
      for (const read of reads) assert.ok(read.fencingToken > dead.fencingToken);
      await Promise.all(reads.map((read) => read.release()));
    }),
  },
  {
    name: 'read-write: only a reader can extend or release its read hold',
    run: withFeature('readWrite', refuseReadWrite, async ({ manager, backend, keyPrefix }) => {
      const holder = await manager();
      const rw = (await backend()).readWrite!;
      const key = `${keyPrefix}owned`;
      const lock = await holder.acquire('owned', { mode: 'read', ttl: 10_000 });
      assert.equal(await rw.release(key, 'intruder'), false);
      const [extended] = await rw.extend([{ key, owner: 'intruder', ttlMs: 60_000 }]);
      assert.equal(extended, undefined);
      const again = await rw.acquire(key, lock.owner, 10_000, queued('read'));
      assert.ok(
        again.acquired && again.fencingToken === lock.fencingToken,
        'a retry got a new hold',
      );
      assert.equal((await holder.inspect('owned'))?.holders, 1);
      assert.equal(await lock.release(), true);
      assert.equal(await lock.release(), false);
      const [lost] = await rw.extend([{ key, owner: lock.owner, ttlMs: 60_000 }]);
      assert.equal(lost, undefined);
    }),
  },
  {
    name: 'read-write: a read re-enters a write of its call chain; a write inside a read is refused',
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const locks = await manager();
      await locks.using(
        'nested',
        async (outer) => {
          const token = await locks.using('nested', async () => currentLock()?.fencingToken, {
            mode: 'read',
          });
          assert.equal(token, outer.fencingToken, 'the read did not re-enter the write');
        },
        { mode: 'write' },
      );
      let reached = false;
      await locks.using(
        'nested',
        async () => {
          await assert.rejects(
            locks.using('nested', async () => (reached = true), { mode: 'write' }),
            LockUpgradeError,
          );
          await assert.rejects(
            locks.using('nested', async () => (reached = true)),
            {
              code: 'LOCK_UPGRADE',
            },
          );
          await assert.rejects(locks.acquire('nested', { mode: 'write' }), LockUpgradeError);
          await assert.rejects(locks.tryAcquire('nested'), LockUpgradeError);
          // Reads share the hold, side by side too.
          await Promise.all(
            [1, 2].map(() => locks.using('nested', async () => {}, { mode: 'read' })),
          );
        },
        { mode: 'read' },
      );
      assert.equal(reached, false);
      assert.equal(locks.heldCount, 0);
    }),
  },
  {
    name: 'read-write: a key held as a semaphore refuses read holds, and the other way round',
    run: withFeature('readWrite', refuseReadWrite, async ({ manager, backend }) => {
      if (!(await backend()).semaphore) return;
      const locks = await manager();
      const permit = await locks.acquire('kinds', { permits: 2 });
      await assert.rejects(locks.acquire('kinds', { mode: 'read' }), LockBackendError);
      await permit.release();
      const read = await locks.acquire('kinds', { mode: 'read' });
      await assert.rejects(locks.acquire('kinds', { permits: 2 }), LockBackendError);
      await read.release();
    }),
  },
];
