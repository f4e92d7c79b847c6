import assert from 'node:assert/strict';
import { LockLostError, LockNotAcquiredError } from '../contract/errors.js';
import {
  aborted,
  type ConformanceCaseDefinition,
  countingAcquires,
  sleep,
} from './conformance-support.js';
import { interceptBackend } from './intercept-backend.js';

/** Leases in time: expiry, renewal, loss detection, waiting and waking. */
export const leaseCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'expires a lease after its ttl: another owner takes over and the old holder is told',
    async run({ manager }) {
      const [a, b] = await Promise.all([manager(), manager()]);
      const lost: string[] = [];
      a.on('lost', (event) => lost.push(event.key));
      const first = await a.acquire('expiring', { ttl: 200, autoRenew: false });
      assert.equal(await b.tryAcquire('expiring'), null);
      const reason = await aborted(first.signal, 5_000);
      assert.ok(reason instanceof LockLostError, 'the signal aborted without a LockLostError');
      assert.equal(first.isHeld(), false);
      const second = await b.acquire('expiring', { wait: 5_000 });
      assert.ok(second.fencingToken > first.fencingToken, 'the fencing token did not increase');
      assert.deepEqual(lost, ['expiring']);
    },
  },
  {
    name: 'refuses to extend a lease that has expired',
    async run({ manager, backend, keyPrefix }) {
      const locks = await manager();
      const store = await backend();
      const lock = await locks.acquire('stale', { ttl: 100, autoRenew: false });
      await aborted(lock.signal, 5_000);
      await sleep(50);
      assert.deepEqual(
        await store.extend([{ key: `${keyPrefix}stale`, owner: lock.owner, ttlMs: 5_000 }]),
        [undefined],
      );
      await assert.rejects(lock.extend(5_000), LockLostError);
      assert.equal(await locks.isLocked('stale'), false);
    },
  },
  {
    name: 'aborts the signal within one renewal period when the store no longer has the lease',
    async run({ manager, backend, keyPrefix }) {
      const store = await backend();
      // A session lease can only disappear through its own session.
      const locks = await manager(store.sessionLeases ? { backend: store } : {});
      const lock = await locks.acquire('vanishing', { ttl: 900 });
      // The lease disappears from the store (an operator DEL, a failover that lost it...).
      assert.equal(await store.release(`${keyPrefix}vanishing`, lock.owner), true);
      // Renewal runs every ttl/3 = 300 ms; allow a generous bound for a loaded machine.
      const reason = await aborted(lock.signal, 5_000);
      assert.ok(reason instanceof LockLostError, 'the signal aborted without a LockLostError');
      assert.equal(reason.reason, 'not-held');
      assert.equal(reason.key, 'vanishing');
      assert.equal(lock.isHeld(), false);
      await assert.rejects(lock.extend(), LockLostError);
    },
  },
  {
    name: 'keeps a lock across five times its ttl by renewing it',
    async run({ manager }) {
      const [holder, rival] = await Promise.all([manager(), manager()]);
      const lock = await holder.acquire('renewed', { ttl: 300 });
      for (let i = 0; i < 10; i++) {
        await sleep(150);
        assert.equal(await rival.tryAcquire('renewed'), null, `the rival got in after ${i + 1}`);
      }
      assert.equal(lock.isHeld(), true);
      assert.equal(lock.signal.aborted, false);
      assert.equal((await rival.inspect('renewed'))?.fencingToken, lock.fencingToken);
      assert.equal(await lock.release(), true);
    },
  },
  {
    name: 'renews held locks of every kind it offers, each kind through its own capability',
    timeoutMs: 30_000,
    async run({ manager, backend }) {
      const store = await backend();
      // Which capability each extend went to, and the keys it carried.
      const extends_: { capability: string; keys: string[] }[] = [];
      const spy = interceptBackend(store, (call, proceed) => {
        if (call.method === 'extend') {
          const leases = call.args[0] as readonly { key?: string; keys?: readonly string[] }[];
          extends_.push({
            capability: call.capability ?? 'mutex',
            keys: leases.flatMap((lease) => lease.keys ?? [lease.key!]),
          });
        }
        return proceed();
      });
      const locks = await manager({ backend: spy });
      const rival = await manager();
      const expected = new Map<string, string[]>([['mutex', ['kinds:plain']]]);
      const held = [await locks.acquire('kinds:plain', { ttl: 900 })];
      if (store.fair) {
        held.push(await locks.acquire('kinds:fair', { fair: true, ttl: 900 }));
        expected.get('mutex')!.push('kinds:fair');
      }
      if (store.semaphore) {
        held.push(await locks.acquire('kinds:permit', { permits: 2, ttl: 900 }));
        expected.set('semaphore', ['kinds:permit']);
      }
      if (store.multiKey) {
        held.push(await locks.acquire(['kinds:a', 'kinds:b'], { ttl: 900 }));
        expected.set('multiKey', ['kinds:a', 'kinds:b']);
      }
      if (store.readWrite) {
        held.push(await locks.acquire('kinds:reads', { mode: 'read', ttl: 900 }));
        held.push(await locks.acquire('kinds:written', { mode: 'write', ttl: 900 }));
        expected.set('readWrite', ['kinds:reads']);
        // A write hold is a mutex lease.
        expected.get('mutex')!.push('kinds:written');
      }
      // Each held lock renewed at least twice: past two ttls with every lock still held.
      const renewed = (key: string): number =>
        extends_.filter((call) => call.keys.some((each) => each.endsWith(key))).length;
      const keys = [...expected.values()].flat();
      for (let waited = 0; keys.some((key) => renewed(key) < 2); waited += 50) {
        assert.ok(waited < 20_000, 'the held locks were not renewed twice within 20 s');
        await sleep(50);
      }
      for (const lock of held) assert.equal(lock.isHeld(), true, `${lock.key} was lost`);
      assert.equal(await rival.tryAcquire('kinds:plain'), null);
      for (const call of extends_) {
        const own = expected.get(call.capability);
        assert.ok(own, `an extend went to ${call.capability}, which no lock uses`);
        for (const key of call.keys) {
          assert.ok(
            own.some((each) => key.endsWith(each)),
            `${key} was extended through ${call.capability}`,
          );
        }
      }
      for (const lock of held) assert.equal(await lock.release(), true);
    },
  },
  {
    name: 'wakes a waiter on release without polling',
    async run({ manager, backend }) {
      const holder = await manager();
      const counted = countingAcquires(await backend());
      const waiter = await manager({ backend: counted });
      const lock = await holder.acquire('handoff', { ttl: 10_000 });
      const waiting = waiter.acquire('handoff', { wait: 8_000 });
      await sleep(300);
      await lock.release();
      const next = await waiting;
      assert.ok(next.fencingToken > lock.fencingToken, 'the fencing token did not increase');
      // First try, one more once subscribed (a release may fall in between), one on the wake-up.
      assert.ok(counted.attempts <= 3, `the waiter made ${counted.attempts} attempts`);
    },
  },
  {
    name: 'takes over from a holder that died without releasing, at its expiry',
    async run({ manager, backend }) {
      const holder = await manager();
      const counted = countingAcquires(await backend());
      const waiter = await manager({ backend: counted });
      const dead = await holder.acquire('abandoned', { ttl: 400, autoRenew: false });
      const next = await waiter.acquire('abandoned', { wait: 8_000 });
      assert.ok(next.fencingToken > dead.fencingToken, 'the fencing token did not increase');
      // No release notification: the waiter sleeps until the ttl the store reported, then retries.
      assert.ok(counted.attempts <= 5, `the waiter made ${counted.attempts} attempts`);
    },
  },
  {
    name: 'gives up after `wait` with LockNotAcquiredError naming the key and when it frees',
    async run({ manager }) {
      const [holder, waiter] = await Promise.all([manager(), manager()]);
      await holder.acquire('busy', { ttl: 10_000 });
      const error = await waiter.acquire('busy', { wait: 300 }).catch((e: unknown) => e);
      assert.ok(error instanceof LockNotAcquiredError, 'no LockNotAcquiredError after wait');
      assert.equal(error.code, 'LOCK_NOT_ACQUIRED');
      assert.equal(error.key, 'busy');
      assert.ok(
        error.retryAfterMs !== undefined && error.retryAfterMs > 5_000,
        `retryAfterMs is ${error.retryAfterMs}`,
      );
      assert.ok(error.retryAfterMs <= 10_000, `retryAfterMs is ${error.retryAfterMs}`);
      assert.ok(error.message.includes('"busy"'), 'the message does not name the key');
    },
  },
];
