import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type {
  AcquiredLease,
  FairAcquireOptions,
  Handoff,
} from '../../lib/contract/lock-backend.js';
import { InvalidLockOptionsError, LockBackendError, PostgresLockBackend } from '../../lib/index.js';
import { eventually, sleep, uniqueId } from '../support/async.js';
import { granted, missed } from '../support/lease-results.js';
import { postgresSpecKit } from '../support/postgres-spec-kit.js';
import { PG_URL, testPort } from '../support/servers.js';

/** Nothing listens here: connections are refused at once. */
const DEAD_URL = `postgres://postgres@127.0.0.1:${testPort(5449)}/postgres`;
const QUEUE = '"public"."nestjs_locker_queue"';
const PERMITS = '"public"."nestjs_locker_permits"';
const LEASES = '"public"."nestjs_locker"';

const fair = (ticketTtlMs = 10_000, join = true): FairAcquireOptions => ({ ticketTtlMs, join });

describe('PostgresLockBackend lease shapes', () => {
  const { admin, cleanups, schemas, backend } = postgresSpecKit();

  const key = (name: string): string => `shapes:${uniqueId()}:${name}`;
  const queueOf = async (lockKey: string): Promise<string[]> =>
    (
      await admin.query<{ owner: string }>(
        `SELECT owner FROM ${QUEUE} WHERE key = $1 ORDER BY seq`,
        [lockKey],
      )
    ).rows.map((row) => row.owner);
  const rowsOf = async (table: string, keys: string[]) =>
    (
      await admin.query<{ key: string; owner: string | null; token: string }>(
        `SELECT key, owner, token::text AS token FROM ${table} WHERE key = ANY($1) ORDER BY key`,
        [keys],
      )
    ).rows;
  /** Collects what subscribe delivers for `lockKey`, on a backend of its own (another process). */
  const listen = async (lockKey: string): Promise<(Handoff | undefined)[]> => {
    const delivered: (Handoff | undefined)[] = [];
    const unsubscribe = await backend().subscribe!(lockKey, (handoff) => {
      delivered.push(handoff);
    });
    cleanups.push(async () => unsubscribe());
    return delivered;
  };

  it('offers fair locks, semaphores and multi-key locks', () => {
    const store = backend({ listen: false });
    expect([store.fair, store.semaphore, store.multiKey]).toEqual([
      expect.any(Object),
      expect.any(Object),
      expect.any(Object),
    ]);
  });

  describe('fair locks', () => {
    it('serves six waiters in the order they queued, handing each the lease through subscribe', async () => {
      const store = backend();
      const lockKey = key('fifo');
      const delivered = await listen(lockKey);
      const first = granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      const waiters = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
      for (const waiter of waiters) {
        const miss = missed(await store.fair!.acquire(lockKey, waiter, 7_000, fair()));
        expect(miss.retryAfterMs).toBeGreaterThan(9_000);
      }
      // A second attempt keeps a waiter's place.
      missed(await store.fair!.acquire(lockKey, 'w1', 7_000, fair()));
      expect(await queueOf(lockKey)).toEqual(waiters);

      let holder = 'holder';
      let lastToken = first.fencingToken;
      for (const [index, waiter] of waiters.entries()) {
        expect(await store.fair!.release(lockKey, holder)).toBe(true);
        await eventually(() => delivered.length === index + 1);
        const handoff = delivered[index]!;
        expect(handoff.owner).toBe(waiter);
        expect(handoff.fencingToken).toBeGreaterThan(lastToken);
        const info = await store.inspect(lockKey);
        expect(info).toEqual({
          key: lockKey,
          owner: waiter,
          fencingToken: handoff.fencingToken,
          expiresAt: handoff.expiresAt,
        });
        // The handed lease has the ttl the waiter asked for, by the store's clock.
        expect(handoff.expiresAt - Date.now()).toBeGreaterThan(5_000);
        expect(handoff.expiresAt - Date.now()).toBeLessThanOrEqual(7_500);
        // The waiter's next attempt finds the lease it was handed: same token.
        const lease = granted(await store.fair!.acquire(lockKey, waiter, 7_000, fair()));
        expect(lease.fencingToken).toBe(handoff.fencingToken);
        holder = waiter;
        lastToken = handoff.fencingToken;
      }
      expect(await queueOf(lockKey)).toEqual([]);
      expect(await store.fair!.release(lockKey, holder)).toBe(true);
      // A release with nobody queued is a plain wake-up.
      await eventually(() => delivered.length === waiters.length + 1);
      expect(delivered.at(-1)).toBeUndefined();
      expect(await store.inspect(lockKey)).toBeNull();
    });

    it('refreshes the lease of an owner that already holds it, with the same token', async () => {
      const store = backend({ listen: false });
      const lockKey = key('refresh');
      const first = granted(await store.fair!.acquire(lockKey, 'a', 1_000, fair()));
      const again = granted(await store.fair!.acquire(lockKey, 'a', 20_000, fair()));
      expect(again.fencingToken).toBe(first.fencingToken);
      expect(again.expiresAt).toBeGreaterThan(first.expiresAt + 15_000);
    });

    it('skips a waiter whose ticket expired, and keeps the place of one that keeps trying', async () => {
      const store = backend();
      const lockKey = key('dead');
      const delivered = await listen(lockKey);
      granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'dead', 5_000, fair(300)));
      missed(await store.fair!.acquire(lockKey, 'alive', 5_000, fair(600)));
      missed(await store.fair!.acquire(lockKey, 'patient', 5_000, fair(10_000)));
      // 'alive' keeps its ticket by attempting again within its ticket ttl; 'dead' stopped.
      for (let i = 0; i < 6; i++) {
        await sleep(150);
        missed(await store.fair!.acquire(lockKey, 'alive', 5_000, fair(600)));
      }
      expect(await store.fair!.release(lockKey, 'holder')).toBe(true);
      await eventually(() => delivered.length === 1);
      expect(delivered[0]?.owner).toBe('alive');
      expect((await store.inspect(lockKey))?.owner).toBe('alive');
      expect(await queueOf(lockKey)).toEqual(['patient']);
    });

    it('enqueues a dead waiter that comes back at the tail', async () => {
      const store = backend({ listen: false });
      const lockKey = key('back');
      granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'late', 5_000, fair(200)));
      missed(await store.fair!.acquire(lockKey, 'steady', 5_000, fair()));
      await sleep(300);
      missed(await store.fair!.acquire(lockKey, 'late', 5_000, fair(200)));
      expect(await queueOf(lockKey)).toEqual(['steady', 'late']);
    });

    it('with join false leaves no ticket, and cannot barge ahead of the queue on a free key', async () => {
      const store = backend();
      const lockKey = key('try');
      const delivered = await listen(lockKey);
      granted(await store.fair!.acquire(lockKey, 'holder', 1_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'tryer', 5_000, fair(10_000, false)));
      expect(await queueOf(lockKey)).toEqual([]);
      missed(await store.fair!.acquire(lockKey, 'queued', 4_000, fair()));
      expect(await queueOf(lockKey)).toEqual(['queued']);

      // The holder's lease runs out without a release: the key is free, but 'queued' was first.
      await sleep(1_100);
      const miss = missed(await store.fair!.acquire(lockKey, 'tryer', 5_000, fair(10_000, false)));
      expect(miss.retryAfterMs).toBe(4_000);
      expect((await store.inspect(lockKey))?.owner).toBe('queued');
      expect(await queueOf(lockKey)).toEqual([]);
      // That acquire handed the lease on, and said so.
      await eventually(() => delivered.length === 1);
      expect(delivered[0]?.owner).toBe('queued');
    });

    it('hands a free key to the head of the queue when a later waiter tries first, and queues that waiter', async () => {
      const store = backend({ listen: false });
      const lockKey = key('late-join');
      granted(await store.fair!.acquire(lockKey, 'holder', 1_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'first', 5_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'second', 5_000, fair()));
      await sleep(1_100);
      missed(await store.fair!.acquire(lockKey, 'second', 5_000, fair()));
      expect((await store.inspect(lockKey))?.owner).toBe('first');
      expect(await queueOf(lockKey)).toEqual(['second']);
    });

    it('lets a waiter leave the queue by release, which returns false', async () => {
      const store = backend();
      const lockKey = key('leave');
      const delivered = await listen(lockKey);
      granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'quitter', 5_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'stayer', 5_000, fair()));
      expect(await store.fair!.release(lockKey, 'quitter')).toBe(false);
      expect(await queueOf(lockKey)).toEqual(['stayer']);
      expect((await store.inspect(lockKey))?.owner).toBe('holder');
      expect(await store.fair!.release(lockKey, 'holder')).toBe(true);
      await eventually(() => delivered.length === 1);
      expect(delivered[0]?.owner).toBe('stayer');
    });

    it('hands an expired key to the next waiter when the head leaves the queue', async () => {
      const store = backend({ listen: false });
      const lockKey = key('leave-free');
      granted(await store.fair!.acquire(lockKey, 'holder', 1_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'quitter', 5_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'next', 5_000, fair()));
      await sleep(1_100);
      // The key is free (expired): the quitter's leaving hands it to the new head.
      expect(await store.fair!.release(lockKey, 'quitter')).toBe(false);
      expect((await store.inspect(lockKey))?.owner).toBe('next');
    });

    it('excludes a plain mutex on the same key, and extends a fair lease like a mutex', async () => {
      const store = backend({ listen: false });
      const lockKey = key('fair-extend');
      const lease = granted(await store.fair!.acquire(lockKey, 'a', 1_000, fair()));
      missed(await store.acquire(lockKey, 'b', 1_000));
      const [extended, other] = await store.extend([
        { key: lockKey, owner: 'a', ttlMs: 30_000 },
        { key: lockKey, owner: 'b', ttlMs: 30_000 },
      ]);
      expect(extended).toBeGreaterThan(lease.expiresAt + 25_000);
      expect(other).toBeUndefined();
    });

    it('announces a hand-off to an owner too long for NOTIFY as a plain wake-up, and still hands it over', async () => {
      const store = backend();
      const lockKey = key('long-owner');
      const delivered = await listen(lockKey);
      const longOwner = 'o'.repeat(9_000);
      granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      missed(await store.fair!.acquire(lockKey, longOwner, 5_000, fair()));
      expect(await store.fair!.release(lockKey, 'holder')).toBe(true);
      await eventually(() => delivered.length === 1);
      expect(delivered[0]).toBeUndefined();
      expect((await store.inspect(lockKey))?.owner).toBe(longOwner);
      granted(await store.fair!.acquire(lockKey, longOwner, 5_000, fair()));
    });

    it('delivers an owner with spaces and digits intact in the hand-off', async () => {
      const store = backend();
      const lockKey = key('odd-owner');
      const delivered = await listen(lockKey);
      const owner = '12 34 owner with spaces ünïcode';
      granted(await store.fair!.acquire(lockKey, 'holder', 10_000, fair()));
      missed(await store.fair!.acquire(lockKey, owner, 5_000, fair()));
      expect(await store.fair!.release(lockKey, 'holder')).toBe(true);
      await eventually(() => delivered.length === 1);
      expect(delivered[0]?.owner).toBe(owner);
    });

    it('serves 8 waiters polling from separate backends one at a time, each exactly once', async () => {
      const lockKey = key('contended');
      const stores = Array.from({ length: 4 }, () => backend({ listen: false }));
      let inside = 0;
      let most = 0;
      const served: string[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const store = stores[i % stores.length]!;
          const owner = `worker-${i}`;
          for (;;) {
            const result = await store.fair!.acquire(lockKey, owner, 5_000, fair(2_000));
            if (result.acquired) break;
            await sleep(10);
          }
          inside++;
          most = Math.max(most, inside);
          served.push(owner);
          await sleep(15);
          inside--;
          expect(await store.fair!.release(lockKey, owner)).toBe(true);
        }),
      );
      expect(most).toBe(1);
      expect(new Set(served).size).toBe(8);
    });
  });

  describe('semaphores', () => {
    it('answers "unknown", not "retry at once", while every free permit is being taken by others', async () => {
      const lockKey = key('sem-locked');
      const store = backend({ listen: false });
      // Makes the key's 2 permit slots; both free again after.
      granted(await store.semaphore!.acquire(lockKey, 'first', 5_000, 2));
      expect(await store.semaphore!.release(lockKey, 'first')).toBe(true);
      // Another transaction is taking both free slots: row-locked, not committed yet.
      const taker = await admin.connect();
      cleanups.push(async () => taker.release());
      await taker.query('BEGIN');
      await taker.query(`SELECT slot FROM ${PERMITS} WHERE key = $1 FOR UPDATE`, [lockKey]);
      try {
        const miss = missed(await store.semaphore!.acquire(lockKey, 'second', 5_000, 2));
        // No live holder to wait for: the earliest expiry is unknown (SQL NULL), not 0 ms.
        expect(miss.retryAfterMs).toBeUndefined();
      } finally {
        await taker.query('ROLLBACK');
      }
      granted(await store.semaphore!.acquire(lockKey, 'second', 5_000, 2));
    });

    it('never has more than N holders among 32 concurrent acquirers, with strictly increasing tokens', async () => {
      const lockKey = key('sem');
      const permits = 3;
      const stores = Array.from({ length: 4 }, () => backend({ listen: false }));
      let inside = 0;
      let most = 0;
      let highest = 0n;
      const tokens: bigint[] = [];
      await Promise.all(
        Array.from({ length: 32 }, async (_, i) => {
          const store = stores[i % stores.length]!;
          const owner = `worker-${i}`;
          let lease: AcquiredLease | undefined;
          while (!lease) {
            const before = highest;
            const result = await store.semaphore!.acquire(lockKey, owner, 5_000, permits);
            if (result.acquired) {
              // Greater than every token granted before this attempt was sent.
              expect(result.fencingToken).toBeGreaterThan(before);
              lease = result;
            } else {
              // Unknown (undefined) only while the free permits are being taken by others (the
              // earliest expiry of no live permit is NULL: not 0, which would mean "retry now").
              if (result.retryAfterMs !== undefined) {
                expect(result.retryAfterMs).toBeGreaterThan(0);
                expect(result.retryAfterMs).toBeLessThanOrEqual(5_000);
              }
              await sleep(5 + Math.random() * 10);
            }
          }
          if (lease.fencingToken > highest) highest = lease.fencingToken;
          tokens.push(lease.fencingToken);
          inside++;
          most = Math.max(most, inside);
          const info = await store.inspect(lockKey);
          expect(info?.holders).toBeLessThanOrEqual(permits);
          await sleep(10);
          inside--;
          expect(await store.semaphore!.release(lockKey, owner)).toBe(true);
        }),
      );
      expect(most).toBeLessThanOrEqual(permits);
      expect(most).toBeGreaterThan(1);
      expect(new Set(tokens).size).toBe(32);
      expect(await stores[0]!.inspect(lockKey)).toBeNull();
    });

    it('frees expired holders by the store clock', async () => {
      const store = backend({ listen: false });
      const lockKey = key('sem-expiry');
      granted(await store.semaphore!.acquire(lockKey, 'a', 1_000, 2));
      granted(await store.semaphore!.acquire(lockKey, 'b', 5_000, 2));
      const miss = missed(await store.semaphore!.acquire(lockKey, 'c', 5_000, 2));
      // The earliest-expiring holder's remaining ttl.
      expect(miss.retryAfterMs).toBeGreaterThan(0);
      expect(miss.retryAfterMs).toBeLessThanOrEqual(1_000);
      await sleep(1_100);
      granted(await store.semaphore!.acquire(lockKey, 'c', 5_000, 2));
      expect((await store.inspect(lockKey))?.holders).toBe(2);
      const { rows } = await admin.query<{ owner: string }>(
        `SELECT owner FROM ${PERMITS} WHERE key = $1 AND expires_at > clock_timestamp()
          ORDER BY owner`,
        [lockKey],
      );
      expect(rows.map((row) => row.owner)).toEqual(['b', 'c']);
    });

    it('reports the last taker by fencing token when the tokens cross from 99 to 100', async () => {
      // A schema of its own, so that its fencing sequence can be set to just below 100.
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      const store = backend({ schema, listen: false });
      const lockKey = key('sem-digits');
      granted(await store.acquire(`${lockKey}:warm-up`, 'w', 5_000));
      await admin.query(`SELECT setval('"${schema}"."nestjs_locker_fence"', 98)`);
      const first = granted(await store.semaphore!.acquire(lockKey, 'first', 5_000, 2));
      const last = granted(await store.semaphore!.acquire(lockKey, 'last', 5_000, 2));
      expect([first.fencingToken, last.fencingToken]).toEqual([99n, 100n]);
      const info = await store.inspect(lockKey);
      expect(info?.fencingToken).toBe(100n);
      expect(info?.owner).toBe('last');
      expect(info?.holders).toBe(2);
    });

    it('refreshes an owner that already holds a permit, with the same token', async () => {
      const store = backend({ listen: false });
      const lockKey = key('sem-refresh');
      const first = granted(await store.semaphore!.acquire(lockKey, 'a', 1_000, 2));
      const again = granted(await store.semaphore!.acquire(lockKey, 'a', 20_000, 2));
      expect(again.fencingToken).toBe(first.fencingToken);
      expect(again.expiresAt).toBeGreaterThan(first.expiresAt + 15_000);
      expect((await store.inspect(lockKey))?.holders).toBe(1);
    });

    it('extends and releases per owner, and inspect shows the last taker and the holder count', async () => {
      const store = backend();
      const lockKey = key('sem-owner');
      const delivered = await listen(lockKey);
      const a = granted(await store.semaphore!.acquire(lockKey, 'a', 2_000, 3));
      const b = granted(await store.semaphore!.acquire(lockKey, 'b', 2_000, 3));
      expect(b.fencingToken).toBeGreaterThan(a.fencingToken);
      expect(await store.inspect(lockKey)).toEqual({
        key: lockKey,
        owner: 'b',
        fencingToken: b.fencingToken,
        expiresAt: b.expiresAt,
        holders: 2,
      });
      const [extendedA, notHolder] = await store.semaphore!.extend([
        { key: lockKey, owner: 'a', ttlMs: 30_000 },
        { key: lockKey, owner: 'x', ttlMs: 30_000 },
      ]);
      expect(extendedA).toBeGreaterThan(a.expiresAt + 25_000);
      expect(notHolder).toBeUndefined();
      expect(await store.semaphore!.release(lockKey, 'x')).toBe(false);
      expect(await store.semaphore!.release(lockKey, 'b')).toBe(true);
      expect(await store.semaphore!.release(lockKey, 'b')).toBe(false);
      await eventually(() => delivered.length === 1);
      expect(delivered[0]).toBeUndefined();
      expect(await store.inspect(lockKey)).toEqual(
        expect.objectContaining({ owner: 'a', holders: 1, expiresAt: extendedA }),
      );
      // An expired permit cannot be extended.
      granted(await store.semaphore!.acquire(lockKey, 'short', 100, 3));
      await sleep(200);
      expect(
        await store.semaphore!.extend([{ key: lockKey, owner: 'short', ttlMs: 5_000 }]),
      ).toEqual([undefined]);
      expect(await store.semaphore!.release(lockKey, 'a')).toBe(true);
      expect(await store.inspect(lockKey)).toBeNull();
    });

    it('keeps tokens rising when a key switches from mutex to semaphore and back', async () => {
      const store = backend({ listen: false });
      const lockKey = key('sem-after-mutex');
      const mutex = granted(await store.acquire(lockKey, 'm', 5_000));
      expect(await store.release(lockKey, 'm')).toBe(true);
      const permit = granted(await store.semaphore!.acquire(lockKey, 'a', 300, 2));
      expect(permit.fencingToken).toBeGreaterThan(mutex.fencingToken);
      expect(await store.semaphore!.release(lockKey, 'a')).toBe(true);
      // The key stays a semaphore key until its marker runs out (twice the permit's ttl).
      await expect(store.acquire(lockKey, 'm', 5_000)).rejects.toBeInstanceOf(LockBackendError);
      await sleep(700);
      const mutexAgain = granted(await store.acquire(lockKey, 'm', 5_000));
      expect(mutexAgain.fencingToken).toBeGreaterThan(permit.fencingToken);
    });

    it('takes the permits of one key side by side, without queueing on one row lock', async () => {
      // A holder in an open transaction keeps a free slot locked; others take the remaining slots.
      const store = backend({ listen: false });
      const lockKey = key('sem-parallel');
      granted(await store.semaphore!.acquire(lockKey, 'first', 5_000, 3));
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      cleanups.push(() => client.end());
      await client.query('BEGIN');
      await client.query(
        `SELECT FROM ${PERMITS} WHERE key = $1 AND owner IS NULL ORDER BY slot LIMIT 1 FOR UPDATE`,
        [lockKey],
      );
      cleanups.push(() => client.query('ROLLBACK'));
      granted(await store.semaphore!.acquire(lockKey, 'second', 5_000, 3));
      // The last free slot is the locked one: a miss at once, not a wait.
      const miss = missed(await store.semaphore!.acquire(lockKey, 'third', 5_000, 3));
      expect(miss.retryAfterMs).toBeGreaterThan(4_000);
    });

    it('refuses a key used as a mutex and as a semaphore at once with a LockBackendError', async () => {
      const store = backend({ listen: false });
      const semKey = key('sem-mixed');
      const mutexKey = key('mutex-mixed');
      granted(await store.semaphore!.acquire(semKey, 'a', 5_000, 2));
      granted(await store.acquire(mutexKey, 'a', 5_000));
      const attempts: Promise<unknown>[] = [
        store.acquire(semKey, 'b', 5_000),
        store.fair!.acquire(semKey, 'b', 5_000, fair()),
        store.multiKey!.acquire([semKey, `${semKey}~`], 'b', 5_000),
        store.semaphore!.acquire(mutexKey, 'b', 5_000, 2),
      ];
      for (const attempt of attempts) {
        const error = (await attempt.catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(error.operation).toBe('acquire');
        expect(error.message).toMatch(/either as a mutex or as a semaphore/);
      }
      // Nothing changed hands.
      expect((await store.inspect(semKey))?.owner).toBe('a');
      expect((await store.inspect(mutexKey))?.owner).toBe('a');
    });
  });

  describe('multi-key locks', () => {
    it('takes all keys or none: a busy key leaves no trace on the others', async () => {
      const store = backend({ listen: false });
      const [k1, k2, k3] = [key('a'), key('b'), key('c')].sort() as [string, string, string];
      granted(await store.acquire(k2, 'plain', 3_000));
      const miss = missed(await store.multiKey!.acquire([k1, k2, k3], 'multi', 5_000));
      expect(miss.retryAfterMs).toBeGreaterThan(2_000);
      expect(miss.retryAfterMs).toBeLessThanOrEqual(3_000);
      // No rows were created for the free keys, and the busy one is untouched.
      expect(await rowsOf(LEASES, [k1, k2, k3])).toEqual([
        { key: k2, owner: 'plain', token: expect.any(String) },
      ]);
      expect(await store.release(k2, 'plain')).toBe(true);
      const lease = granted(await store.multiKey!.acquire([k1, k2, k3], 'multi', 5_000));
      const rows = await rowsOf(LEASES, [k1, k2, k3]);
      expect(rows.map((row) => row.owner)).toEqual(['multi', 'multi', 'multi']);
      expect(new Set(rows.map((row) => BigInt(row.token)))).toEqual(new Set([lease.fencingToken]));
    });

    it('reports the longest remaining ttl among the busy keys', async () => {
      const store = backend({ listen: false });
      const [k1, k2, k3] = [key('a'), key('b'), key('c')].sort() as [string, string, string];
      granted(await store.acquire(k1, 'x', 2_000));
      granted(await store.acquire(k3, 'y', 8_000));
      const miss = missed(await store.multiKey!.acquire([k1, k2, k3], 'multi', 5_000));
      expect(miss.retryAfterMs).toBeGreaterThan(7_000);
    });

    it('gives one token to every key, greater than every earlier token of each key', async () => {
      const store = backend({ listen: false });
      const [k1, k2] = [key('a'), key('b')].sort() as [string, string];
      granted(await store.acquire(k1, 'x', 5_000));
      const second = granted(await store.acquire(k2, 'y', 5_000));
      expect(await store.release(k1, 'x')).toBe(true);
      expect(await store.release(k2, 'y')).toBe(true);
      const lease = granted(await store.multiKey!.acquire([k1, k2], 'multi', 5_000));
      expect(lease.fencingToken).toBeGreaterThan(second.fencingToken);
      expect((await store.inspect(k1))?.fencingToken).toBe(lease.fencingToken);
      expect((await store.inspect(k2))?.fencingToken).toBe(lease.fencingToken);
      // Re-acquiring refreshes every key with the same token.
      const again = granted(await store.multiKey!.acquire([k1, k2], 'multi', 20_000));
      expect(again.fencingToken).toBe(lease.fencingToken);
      expect((await store.inspect(k2))?.expiresAt).toBe(again.expiresAt);
    });

    it('excludes a plain lock on one of its keys, and is excluded by one', async () => {
      const store = backend({ listen: false });
      const [k1, k2] = [key('a'), key('b')].sort() as [string, string];
      granted(await store.multiKey!.acquire([k1, k2], 'multi', 5_000));
      missed(await store.acquire(k2, 'plain', 5_000));
      missed(await store.fair!.acquire(k2, 'fair', 5_000, fair(5_000, false)));
      expect(await store.multiKey!.release([k1, k2], 'multi')).toBe(true);
      granted(await store.acquire(k2, 'plain', 5_000));
      missed(await store.multiKey!.acquire([k1, k2], 'multi', 5_000));
      expect(await store.inspect(k1)).toBeNull();
    });

    it('lets callers naming overlapping keys in opposite orders all complete, without deadlock', async () => {
      const [k1, k2, k3] = [key('a'), key('b'), key('c')].sort() as [string, string, string];
      const orders = [
        [k1, k2, k3],
        [k3, k2, k1],
        [k2, k3, k1],
        [k3, k1],
      ];
      const stores = orders.map(() => backend({ listen: false }));
      let inside = 0;
      let most = 0;
      await Promise.all(
        orders.map(async (keys, i) => {
          const store = stores[i]!;
          for (let round = 0; round < 15; round++) {
            const owner = `caller-${i}-${round}`;
            while (!(await store.multiKey!.acquire([...keys], owner, 5_000)).acquired) {
              await sleep(Math.random() * 5);
            }
            inside++;
            most = Math.max(most, inside);
            await sleep(2);
            inside--;
            expect(await store.multiKey!.release([...keys], owner)).toBe(true);
          }
        }),
      );
      expect(most).toBe(1);
    });

    it('extends only while the owner holds every key, and releases every key it still holds', async () => {
      const store = backend();
      const [k1, k2] = [key('a'), key('b')].sort() as [string, string];
      const wakeups1 = await listen(k1);
      const wakeups2 = await listen(k2);
      const keys = [k1, k2];
      const multi = store.multiKey!;
      const lease = granted(await multi.acquire(keys, 'multi', 2_000));
      const [extended] = await multi.extend([{ keys, owner: 'multi', ttlMs: 30_000 }]);
      expect(extended).toBeGreaterThan(lease.expiresAt + 25_000);
      expect((await store.inspect(k2))?.expiresAt).toBe(extended);
      expect(await multi.release(keys, 'multi')).toBe(true);
      expect(await multi.release(keys, 'multi')).toBe(false);
      await eventually(() => wakeups1.length === 1 && wakeups2.length === 1);

      // Lose one key (it expires and is taken): extend fails and leaves the other key alone.
      granted(await multi.acquire(keys, 'multi', 5_000));
      await admin.query(`UPDATE ${LEASES} SET expires_at = clock_timestamp() WHERE key = $1`, [k2]);
      granted(await store.acquire(k2, 'thief', 5_000));
      const before = (await store.inspect(k1))!.expiresAt;
      expect(await multi.extend([{ keys, owner: 'multi', ttlMs: 60_000 }])).toEqual([undefined]);
      expect((await store.inspect(k1))?.expiresAt).toBe(before);
      // Release frees what it still holds.
      expect(await multi.release(keys, 'multi')).toBe(true);
      expect(await store.inspect(k1)).toBeNull();
      expect((await store.inspect(k2))?.owner).toBe('thief');
    });
  });

  describe('statements', () => {
    it('extends plain, fair, semaphore and multi-key leases, each kind in one call, results in order', async () => {
      const store = backend({ listen: false });
      const [m1, m2] = [key('m1'), key('m2')].sort() as [string, string];
      const plainKey = key('plain');
      const fairKey = key('fair');
      const semKey = key('sem');
      granted(await store.acquire(plainKey, 'o', 1_000));
      granted(await store.fair!.acquire(fairKey, 'o', 1_000, fair()));
      granted(await store.semaphore!.acquire(semKey, 'o', 1_000, 2));
      granted(await store.multiKey!.acquire([m1, m2], 'o', 1_000));
      const results = [
        ...(await store.semaphore!.extend([{ key: semKey, owner: 'o', ttlMs: 10_000 }])),
        ...(await store.extend([
          { key: plainKey, owner: 'o', ttlMs: 10_000 },
          { key: fairKey, owner: 'nobody', ttlMs: 10_000 },
          { key: fairKey, owner: 'o', ttlMs: 10_000 },
        ])),
        ...(await store.multiKey!.extend([{ keys: [m1, m2], owner: 'o', ttlMs: 10_000 }])),
      ];
      expect(results.map((result) => typeof result)).toEqual([
        'number',
        'number',
        'undefined',
        'number',
        'number',
      ]);
    });

    it('runs every shape without prepared statements (for transaction-pooling proxies)', async () => {
      const store = backend({ listen: false, preparedStatements: false });
      const [k1, k2] = [key('a'), key('b')].sort() as [string, string];
      granted(await store.fair!.acquire(k1, 'o', 5_000, fair()));
      expect(await store.fair!.release(k1, 'o')).toBe(true);
      const semKey = key('sem');
      granted(await store.semaphore!.acquire(semKey, 'o', 5_000, 2));
      expect(await store.semaphore!.release(semKey, 'o')).toBe(true);
      granted(await store.multiKey!.acquire([k1, k2], 'o', 5_000));
      expect(await store.multiKey!.release([k1, k2], 'o')).toBe(true);
    });

    it('sweeps long-dead tickets and permits', async () => {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      const store = backend({ schema, listen: false, sweepIntervalMs: 150 });
      const lockKey = key('sweep');
      granted(await store.fair!.acquire(lockKey, 'holder', 60_000, fair()));
      missed(await store.fair!.acquire(lockKey, 'gone', 5_000, fair(50)));
      granted(await store.semaphore!.acquire(`${lockKey}:sem`, 'gone', 50, 2));
      await eventually(async () => {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM "${schema}"."nestjs_locker_queue")
                + (SELECT count(*) FROM "${schema}"."nestjs_locker_permits") AS n`,
        );
        return Number(rows[0]!.n) === 0;
      });
      expect((await store.inspect(lockKey))?.owner).toBe('holder');
    });
  });

  describe('the DDL', () => {
    it('runs at start only where the table does not carry this version of it yet', async () => {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      const functionVersion = async (): Promise<string> =>
        (
          await admin.query<{ xmin: string }>(
            `SELECT xmin::text FROM pg_proc WHERE oid = to_regproc($1)`,
            [`"${schema}"."nestjs_locker_fair_acquire"`],
          )
        ).rows[0]!.xmin;
      granted(await backend({ schema, listen: false }).fair.acquire('a', 'o', 5_000, fair()));
      const created = await functionVersion();
      // Up to date: a new start leaves the functions alone.
      granted(await backend({ schema, listen: false }).fair.acquire('b', 'o', 5_000, fair()));
      expect(await functionVersion()).toBe(created);
      // An older version's DDL: the next start brings it up to date.
      await admin.query(
        `COMMENT ON TABLE "${schema}"."nestjs_locker" IS 'nestjs-locker schema old'`,
      );
      granted(await backend({ schema, listen: false }).fair.acquire('c', 'o', 5_000, fair()));
      expect(await functionVersion()).not.toBe(created);
      const { rows } = await admin.query<{ comment: string }>(
        `SELECT obj_description($1::regclass, 'pg_class') AS comment`,
        [`"${schema}"."nestjs_locker"`],
      );
      expect(rows[0]!.comment).toMatch(/^nestjs-locker schema [0-9a-f]{16}$/);
    });

    it('keeps every name of a 57-character table within 63 bytes and distinct, and runs', async () => {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      const table = 't'.repeat(57);
      const ddl = PostgresLockBackend.createTableSql({ schema, table });
      const names = new Set([...ddl.matchAll(/"([^"]+)"/g)].map((match) => match[1]!));
      for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
      // The schema, table, sequence, queue, its index, permits, readers, the read-write queue, its
      // index, waits, its index, results, instances, the advisory mode's holders and nine functions.
      expect(names.size).toBe(23);
      await admin.query(ddl);
      const store = backend({ schema, table, createTable: false, listen: false });
      granted(await store.fair!.acquire('k', 'o', 5_000, fair()));
      granted(await store.semaphore!.acquire('s', 'o', 5_000, 2));
      granted(await store.multiKey!.acquire(['m1', 'm2'], 'o', 5_000));
      expect(await store.waits.publish({ id: 'w', holds: ['o'], keys: ['k'] }, 5_000, 8)).toEqual([
        [{ id: 'w', keys: ['k'], since: expect.any(Number) }],
      ]);
      expect(await store.results.put('k', 'o', '1', 5_000)).toBe(true);
      await store.directory.announce('', 'i', '{}', 5_000);
      expect((await store.directory.instances('')).instances.map((record) => record.id)).toEqual([
        'i',
      ]);
    });
  });

  describe('errors', () => {
    it('refuses the owner reserved for semaphore markers', async () => {
      const store = backend({ listen: false });
      const reserved = 'nestjs-locker:semaphore';
      await expect(store.acquire(key('r'), reserved, 1_000)).rejects.toBeInstanceOf(
        InvalidLockOptionsError,
      );
      await expect(store.semaphore!.release(key('r'), reserved)).rejects.toBeInstanceOf(
        InvalidLockOptionsError,
      );
      await expect(
        store.extend([{ key: key('r'), owner: reserved, ttlMs: 1_000 }]),
      ).rejects.toBeInstanceOf(InvalidLockOptionsError);
    });

    it('fails every shaped call on an unreachable server with LockBackendError', async () => {
      const store = backend({ connectionString: DEAD_URL, commandTimeoutMs: 500, listen: false });
      const [k1, k2] = ['dead:a', 'dead:b'];
      const calls: [string, Promise<unknown>][] = [
        ['acquire', store.fair!.acquire(k1, 'o', 1_000, fair())],
        ['acquire', store.semaphore!.acquire(k1, 'o', 1_000, 2)],
        ['acquire', store.multiKey!.acquire([k1, k2], 'o', 1_000)],
        ['release', store.fair!.release(k1, 'o')],
        ['release', store.semaphore!.release(k1, 'o')],
        ['release', store.multiKey!.release([k1, k2], 'o')],
        ['extend', store.semaphore!.extend([{ key: k1, owner: 'o', ttlMs: 1_000 }])],
        ['extend', store.multiKey!.extend([{ keys: [k1, k2], owner: 'o', ttlMs: 1_000 }])],
      ];
      for (const [operation, call] of calls) {
        const error = (await call.catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(error.operation).toBe(operation);
        expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
      }
    });

    it('on a table made by an older version’s DDL, keeps plain locks working and says how to add the shapes', async () => {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      // The DDL of the version before lease shapes: the lease table and its sequence only.
      await admin.query(`CREATE SCHEMA "${schema}";
        CREATE TABLE "${schema}"."nestjs_locker" (key text PRIMARY KEY, owner text,
          token bigint NOT NULL, expires_at timestamptz NOT NULL) WITH (fillfactor = 80);
        CREATE SEQUENCE "${schema}"."nestjs_locker_fence";`);
      const store = backend({ schema, createTable: false, listen: false });
      granted(await store.acquire('plain', 'o', 5_000));
      expect((await store.inspect('plain'))?.owner).toBe('o');
      for (const call of [
        store.fair!.acquire('k', 'o', 5_000, fair()),
        store.semaphore!.acquire('k', 'o', 5_000, 2),
        store.multiKey!.acquire(['k', 'l'], 'o', 5_000),
      ]) {
        const error = (await call.catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(error.message).toContain('sql/nestjs-locker.sql');
      }
      // Running the shipped DDL again adds them; the same backend then works.
      await admin.query(PostgresLockBackend.createTableSql({ schema }));
      granted(await store.fair!.acquire('k', 'o', 5_000, fair()));
      expect(await store.release('plain', 'o')).toBe(true);
    });
  });
});
