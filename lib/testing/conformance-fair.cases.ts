import assert from 'node:assert/strict';
import { LockNotAcquiredError } from '../contract/errors.js';
import type { Lock } from '../manager/lock.js';
import type { LockManager } from '../manager/lock-manager.js';
import { type ConformanceCaseDefinition, sleep, withFeature } from './conformance-support.js';

/** Gives a waiter time to make its first attempt and so take its place in the queue. */
const JOIN_MS = 150;

const refuseFair = (locks: LockManager): Promise<unknown> => locks.acquire('fair', { fair: true });

/** Fair locks: queued waiters, hand-off on release, no barging, no starvation. */
export const fairCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'fair: serves waiters in the order they arrived',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const holder = await manager();
      const waiters = await Promise.all(Array.from({ length: 5 }, () => manager()));
      const first = await holder.acquire('queue', { fair: true, ttl: 10_000 });
      const order: number[] = [];
      const done: Promise<void>[] = [];
      for (const [i, waiter] of waiters.entries()) {
        done.push(
          waiter.using(
            'queue',
            async () => {
              order.push(i);
              await sleep(5);
            },
            { fair: true, wait: 20_000 },
          ),
        );
        await sleep(JOIN_MS);
      }
      await first.release();
      await Promise.all(done);
      assert.deepEqual(order, [0, 1, 2, 3, 4]);
    }),
  },
  {
    name: 'fair: a release hands the lock to the next waiter, so nobody can barge in',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const [holder, waiter, barger] = await Promise.all([manager(), manager(), manager()]);
      const first = await holder.acquire('handoff', { fair: true, ttl: 10_000 });
      const waiting = waiter.acquire('handoff', { fair: true, wait: 10_000 });
      await sleep(JOIN_MS);
      await first.release();
      // The release already gave the lease to the waiter: the key is not free for a moment.
      assert.equal(await barger.tryAcquire('handoff', { fair: true }), null);
      assert.equal(await barger.tryAcquire('handoff'), null);
      const next = await waiting;
      assert.ok(next.fencingToken > first.fencingToken, 'the fencing token did not increase');
      const info = await waiter.inspect('handoff');
      assert.equal(info?.owner, next.owner);
      assert.equal(info?.fencingToken, next.fencingToken);
      assert.equal(await next.release(), true);
      assert.equal(await barger.inspect('handoff'), null, 'the key stayed taken after the queue');
    }),
  },
  {
    name: 'fair: tryAcquire neither jumps the queue nor leaves a ticket in it',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const [holder, waiter, other] = await Promise.all([manager(), manager(), manager()]);
      const first = await holder.acquire('try', { fair: true, ttl: 10_000 });
      const waiting = waiter.acquire('try', { fair: true, wait: 10_000 });
      await sleep(JOIN_MS);
      assert.equal(await other.tryAcquire('try', { fair: true }), null);
      await first.release();
      const next = await waiting;
      assert.equal(next.isHeld(), true);
      await next.release();
      // Had tryAcquire left a ticket, the key would have been handed to it.
      assert.equal(await other.inspect('try'), null);
      const later = await other.tryAcquire('try', { fair: true });
      assert.ok(later, 'a free key with an empty queue was refused');
      await later.release();
    }),
  },
  {
    name: 'fair: a waiter that gives up leaves the queue at once',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const [holder, quitter, patient] = await Promise.all([manager(), manager(), manager()]);
      const first = await holder.acquire('quit', { fair: true, ttl: 10_000 });
      const gaveUp = quitter
        .acquire('quit', { fair: true, wait: 400, ttl: 20_000 })
        .catch((error: unknown) => error);
      await sleep(JOIN_MS);
      const waiting = patient.acquire('quit', { fair: true, wait: 3_000 });
      assert.ok((await gaveUp) instanceof LockNotAcquiredError, 'the quitter did not time out');
      await first.release();
      // Were the quitter still queued, the lease (20 s) would go to it and this would time out.
      const next = await waiting;
      assert.equal((await patient.inspect('quit'))?.owner, next.owner);
      await next.release();
    }),
  },
  {
    name: 'fair: a waiter aborted by its signal leaves the queue',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const [holder, quitter, patient] = await Promise.all([manager(), manager(), manager()]);
      const first = await holder.acquire('abort', { fair: true, ttl: 10_000 });
      const controller = new AbortController();
      const gaveUp = quitter
        .acquire('abort', { fair: true, wait: 30_000, ttl: 20_000, signal: controller.signal })
        .catch((error: unknown) => error);
      await sleep(JOIN_MS);
      const waiting = patient.acquire('abort', { fair: true, wait: 3_000 });
      await sleep(JOIN_MS);
      controller.abort();
      // The waiter rejects with the signal's own reason (an AbortError), as fetch() does.
      assert.equal(await gaveUp, controller.signal.reason);
      await first.release();
      await (await waiting).release();
    }),
  },
  {
    name: 'fair: skips a waiter that died once its ticket lease ran out',
    timeoutMs: 30_000,
    run: withFeature('fair', refuseFair, async ({ manager, backend, keyPrefix }) => {
      const [holder, patient] = await Promise.all([manager(), manager()]);
      const store = await backend();
      const first = await holder.acquire('ghost', { fair: true, ttl: 10_000 });
      // A waiter that joined with a short ticket and then died: it never refreshes its ticket.
      const ghost = await store.fair!.acquire(`${keyPrefix}ghost`, 'ghost-owner', 20_000, {
        ticketTtlMs: 300,
        join: true,
      });
      assert.equal(ghost.acquired, false);
      const waiting = patient.acquire('ghost', { fair: true, wait: 8_000 });
      await sleep(600);
      await first.release();
      const next = await waiting;
      assert.equal((await patient.inspect('ghost'))?.owner, next.owner);
      await next.release();
    }),
  },
  {
    name: 'fair: takes over from a holder that died, in queue order',
    timeoutMs: 30_000,
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const holder = await manager();
      const waiters = await Promise.all(Array.from({ length: 3 }, () => manager()));
      const dead = await holder.acquire('dead', { fair: true, ttl: 600, autoRenew: false });
      const order: number[] = [];
      const done: Promise<void>[] = [];
      for (const [i, waiter] of waiters.entries()) {
        done.push(
          waiter.using('dead', async () => void order.push(i), { fair: true, wait: 10_000 }),
        );
        await sleep(JOIN_MS);
      }
      await Promise.all(done);
      assert.deepEqual(order, [0, 1, 2]);
      assert.equal(dead.isHeld(), false);
    }),
  },
  {
    name: 'fair: takes turns among contenders that keep coming back (no starvation)',
    timeoutMs: 60_000,
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const gate = await manager();
      const contenders = await Promise.all(Array.from({ length: 4 }, () => manager()));
      const rounds = 8;
      const order: number[] = [];
      let inside = 0;
      const closed = await gate.acquire('turns', { fair: true, ttl: 10_000 });
      const done = contenders.map(async (locks, i) => {
        await sleep(i * JOIN_MS);
        for (let round = 0; round < rounds; round++) {
          await locks.using(
            'turns',
            async () => {
              inside++;
              assert.equal(inside, 1, 'two contenders held the fair lock together');
              order.push(i);
              await sleep(20);
              inside--;
            },
            { fair: true, wait: 30_000 },
          );
        }
      });
      await sleep(4 * JOIN_MS);
      await closed.release();
      await Promise.all(done);
      // Everyone queues behind the gate in turn, and each holder rejoins at the tail: strict turns.
      const expected = Array.from({ length: 4 * rounds }, (_, at) => at % 4);
      assert.deepEqual(order, expected, `turns were not taken in order: ${order.join(',')}`);
    }),
  },
  {
    name: 'fair: a handed-over lock is renewed, extended and released like any other',
    run: withFeature('fair', refuseFair, async ({ manager }) => {
      const [holder, waiter, rival] = await Promise.all([manager(), manager(), manager()]);
      const first = await holder.acquire('renew', { fair: true, ttl: 10_000 });
      const waiting = waiter.acquire('renew', { fair: true, wait: 10_000, ttl: 400 });
      await sleep(JOIN_MS);
      await first.release();
      const next: Lock = await waiting;
      await sleep(1_000);
      assert.equal(next.isHeld(), true);
      assert.equal(await rival.tryAcquire('renew'), null, 'the handed-over lease was not renewed');
      await next.extend(5_000);
      assert.equal(await next.release(), true);
      assert.equal(await rival.inspect('renew'), null);
    }),
  },
];
