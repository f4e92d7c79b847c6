import assert from 'node:assert/strict';
import { queued, refuseReadWrite } from './conformance-read-write.cases.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';
import { interceptBackend } from './intercept-backend.js';

/** Read-write locks waiting in the key's queue: writers not starved, readers entering together. */
export const readWriteQueueCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'read-write: a waiting writer is not starved by a steady stream of readers',
    timeoutMs: 60_000,
    run: withFeature('readWrite', refuseReadWrite, async ({ manager, backend }) => {
      const readerCount = 4;
      const readerManagers = await Promise.all(
        Array.from({ length: readerCount }, () => manager()),
      );
      // The moment the writer's first attempt came back: its ticket is in the queue.
      let queued = false;
      const spy = interceptBackend(await backend(), async (call, proceed) => {
        const result = await proceed();
        if (call.capability === 'readWrite' && call.method === 'acquire') queued = true;
        return result;
      });
      const writer = await manager({ backend: spy });
      let writing = false;
      let reads = 0;
      let readsAfter = 0;
      // Each reader reads again as soon as it is done, so some read is always in progress.
      const streams = readerManagers.map(async (locks) => {
        while (!writing) {
          await locks.using(
            'stream',
            async () => {
              reads++;
              if (queued) readsAfter++;
              await sleep(20);
            },
            { mode: 'read', wait: 30_000 },
          );
        }
      });
      while (reads < readerCount * 2) await sleep(10);
      const write = await writer.acquire('stream', { mode: 'write', wait: 20_000 });
      writing = true;
      await write.release();
      await Promise.all(streams);
      // Only the attempts already on their way when the writer queued may still get in: one each.
      assert.ok(
        readsAfter <= readerCount,
        `${readsAfter} reads started after the writer queued (${readerCount} readers)`,
      );
    }),
  },
  {
    name: 'read-write: the readers queued behind a writer all enter together when it leaves',
    run: withFeature('readWrite', refuseReadWrite, async ({ backend, keyPrefix }) => {
      const store = await backend();
      const rw = store.readWrite!;
      const key = `${keyPrefix}phases`;
      const first = await rw.acquire(key, 'writer-1', 10_000, queued('write'));
      assert.equal(first.acquired, true);
      for (const reader of ['reader-1', 'reader-2', 'reader-3']) {
        assert.equal((await rw.acquire(key, reader, 10_000, queued('read'))).acquired, false);
      }
      assert.equal((await rw.acquire(key, 'writer-2', 10_000, queued('write'))).acquired, false);
      assert.equal(await rw.release(key, 'writer-1'), true);
      // The next writer came after the readers: it waits for all of them.
      assert.equal((await rw.acquire(key, 'writer-2', 10_000, queued('write'))).acquired, false);
      for (const reader of ['reader-1', 'reader-2', 'reader-3']) {
        const result = await rw.acquire(key, reader, 10_000, queued('read'));
        assert.equal(result.acquired, true, `${reader} did not enter with the others`);
      }
      assert.equal((await store.inspect(key))?.holders, 3);
      // A newcomer reader is behind the waiting writer.
      assert.equal((await rw.acquire(key, 'reader-4', 10_000, queued('read'))).acquired, false);
      for (const reader of ['reader-1', 'reader-2', 'reader-3']) {
        assert.equal(await rw.release(key, reader), true);
      }
      assert.equal((await rw.acquire(key, 'writer-2', 10_000, queued('write'))).acquired, true);
      assert.equal(await rw.release(key, 'writer-2'), true);
      assert.equal((await rw.acquire(key, 'reader-4', 10_000, queued('read'))).acquired, true);
      assert.equal(await rw.release(key, 'reader-4'), true);
    }),
  },
  {
    name: 'read-write: fair writers enter in arrival order; otherwise only read tickets hold them back',
    run: withFeature('readWrite', refuseReadWrite, async ({ backend, keyPrefix }) => {
      const rw = (await backend()).readWrite!;
      for (const fair of [true, false]) {
        const key = `${keyPrefix}order:${fair}`;
        assert.equal(
          (await rw.acquire(key, 'reader', 10_000, queued('read', fair))).acquired,
          true,
        );
        for (const writer of ['writer-1', 'writer-2']) {
          const result = await rw.acquire(key, writer, 10_000, queued('write', fair));
          assert.equal(result.acquired, false);
        }
        await rw.release(key, 'reader');
        const second = await rw.acquire(key, 'writer-2', 10_000, queued('write', fair));
        assert.equal(
          second.acquired,
          !fair,
          fair ? 'a fair writer jumped the queue' : 'a writer held another back',
        );
        const firstWriter = await rw.acquire(key, 'writer-1', 10_000, queued('write', fair));
        assert.equal(firstWriter.acquired, fair);
        await rw.release(key, fair ? 'writer-1' : 'writer-2');
        const last = await rw.acquire(
          key,
          fair ? 'writer-2' : 'writer-1',
          10_000,
          queued('write', fair),
        );
        assert.equal(last.acquired, true);
        await rw.release(key, fair ? 'writer-2' : 'writer-1');
      }
    }),
  },
  {
    name: 'read-write: a single attempt leaves no ticket, and a writer that gives up leaves the queue',
    timeoutMs: 30_000,
    run: withFeature('readWrite', refuseReadWrite, async ({ manager }) => {
      const [reader, writer, late] = await Promise.all([manager(), manager(), manager()]);
      const read = await reader.acquire('tickets', { mode: 'read' });
      assert.equal(await writer.tryAcquire('tickets', { mode: 'write' }), null);
      const second = await late.tryAcquire('tickets', { mode: 'read' });
      assert.ok(second, 'a tryAcquire of a writer held readers back');
      await second.release();
      await assert.rejects(writer.acquire('tickets', { mode: 'write', wait: 300 }), {
        code: 'LOCK_NOT_ACQUIRED',
      });
      const third = await late.tryAcquire('tickets', { mode: 'read' });
      assert.ok(third, 'a writer that gave up held readers back');
      await third.release();
      await read.release();
    }),
  },
];
