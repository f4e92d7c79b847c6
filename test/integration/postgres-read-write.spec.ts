import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { LockMode, ReadWriteAcquireOptions } from '../../lib/contract/lock-backend.js';
import { InvalidLockOptionsError, LockBackendError, PostgresLockBackend } from '../../lib/index.js';
import { eventually, sleep, uniqueId } from '../support/async.js';
import { granted, missed } from '../support/lease-results.js';
import { postgresSpecKit } from '../support/postgres-spec-kit.js';
import { PG_URL, testPort } from '../support/servers.js';

/** Nothing listens here: connections are refused at once. */
const DEAD_URL = `postgres://postgres@127.0.0.1:${testPort(5449)}/postgres`;
const LEASES = '"public"."nestjs_locker"';
const READERS = '"public"."nestjs_locker_readers"';
const RW_QUEUE = '"public"."nestjs_locker_rw_queue"';
const PERMITS = '"public"."nestjs_locker_permits"';

const opts = (
  mode: LockMode,
  options: Partial<ReadWriteAcquireOptions> = {},
): ReadWriteAcquireOptions => ({ mode, fair: false, ticketTtlMs: 10_000, join: true, ...options });

describe('PostgresLockBackend read-write locks', () => {
  const { admin, cleanups, schemas, backend } = postgresSpecKit({ listen: false });

  const key = (name: string): string => `rw:${uniqueId()}:${name}`;
  const ticketsOf = async (lockKey: string): Promise<string[]> =>
    (
      await admin.query<{ ticket: string }>(
        `SELECT owner || ':' || mode AS ticket FROM ${RW_QUEUE} WHERE key = $1 ORDER BY seq`,
        [lockKey],
      )
    ).rows.map((row) => row.ticket);
  const leaseRowOf = async (lockKey: string) =>
    (
      await admin.query<{ owner: string | null; ms: number; live: boolean }>(
        `SELECT owner, floor(extract(epoch FROM expires_at) * 1000)::float8 AS ms,
                expires_at > clock_timestamp() AS live
           FROM ${LEASES} WHERE key = $1`,
        [lockKey],
      )
    ).rows[0];
  /** Counts what subscribe delivers for `lockKey`, on a backend of its own (another process). */
  const listen = async (lockKey: string): Promise<{ count: number }> => {
    const wakes = { count: 0 };
    const unsubscribe = await backend({ listen: true }).subscribe!(lockKey, () => {
      wakes.count += 1;
    });
    cleanups.push(async () => unsubscribe());
    return wakes;
  };

  describe('holds', () => {
    it('lets readers overlap, each with its own lease and a rising token', async () => {
      const store = backend();
      const lockKey = key('overlap');
      const tokens: bigint[] = [];
      for (const reader of ['r1', 'r2', 'r3']) {
        tokens.push(
          granted(await store.readWrite.acquire(lockKey, reader, 5_000, opts('read'))).fencingToken,
        );
      }
      expect([...tokens].sort((a, b) => (a < b ? -1 : 1))).toEqual(tokens);
      expect(new Set(tokens).size).toBe(3);
      // Idempotent: a retried read refreshes the same hold.
      const again = granted(await store.readWrite.acquire(lockKey, 'r2', 8_000, opts('read')));
      expect(again.fencingToken).toBe(tokens[1]);
      expect(await store.inspect(lockKey)).toEqual({
        key: lockKey,
        owner: 'r3',
        fencingToken: tokens[2],
        expiresAt: expect.any(Number),
        holders: 3,
        mode: 'read',
      });
    });

    it('excludes readers while a writer holds, and a writer while readers hold', async () => {
      const store = backend();
      const readKey = key('readers-first');
      const writeKey = key('writer-first');
      granted(await store.readWrite.acquire(readKey, 'r', 5_000, opts('read')));
      const blockedWriter = missed(
        await store.readWrite.acquire(readKey, 'w', 5_000, opts('write')),
      );
      expect(blockedWriter.retryAfterMs).toBeGreaterThan(4_000);

      const write = granted(await store.readWrite.acquire(writeKey, 'w', 5_000, opts('write')));
      const again = granted(await store.readWrite.acquire(writeKey, 'w', 5_000, opts('write')));
      expect(again.fencingToken).toBe(write.fencingToken);
      const blockedReader = missed(
        await store.readWrite.acquire(writeKey, 'r', 5_000, opts('read')),
      );
      expect(blockedReader.retryAfterMs).toBeGreaterThan(4_000);
      missed(await store.readWrite.acquire(writeKey, 'w2', 5_000, opts('write')));
    });

    it('makes a plain acquire miss during reads, and lets it in right after the last read release', async () => {
      const store = backend();
      const lockKey = key('plain');
      granted(await store.readWrite.acquire(lockKey, 'r1', 5_000, opts('read')));
      granted(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      expect(missed(await store.acquire(lockKey, 'p', 5_000)).retryAfterMs).toBeGreaterThan(4_000);
      expect(await store.readWrite.release(lockKey, 'r1')).toBe(true);
      missed(await store.acquire(lockKey, 'p', 5_000));
      expect(await store.readWrite.release(lockKey, 'r2')).toBe(true);
      granted(await store.acquire(lockKey, 'p', 5_000));
      // Plain, fair and multi-key leases exclude readers as a writer does.
      missed(await store.readWrite.acquire(lockKey, 'r3', 5_000, opts('read')));
    });

    it('keeps fair and multi-key acquires off a key held by readers', async () => {
      const store = backend();
      const lockKey = key('shapes');
      granted(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      missed(await store.fair.acquire(lockKey, 'f', 5_000, { ticketTtlMs: 5_000, join: false }));
      missed(await store.multiKey.acquire([lockKey, `${lockKey}~`], 'm', 5_000));
      expect(await store.release(lockKey, 'r')).toBe(false);
      expect((await store.inspect(`${lockKey}~`)) ?? null).toBeNull();
    });

    it('raises tokens across read, write and read again on one fence', async () => {
      const store = backend();
      const lockKey = key('fence');
      const read1 = granted(await store.readWrite.acquire(lockKey, 'r1', 5_000, opts('read')));
      const read2 = granted(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      await store.readWrite.release(lockKey, 'r1');
      await store.readWrite.release(lockKey, 'r2');
      const write = granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      expect(write.fencingToken).toBeGreaterThan(read2.fencingToken);
      expect(read2.fencingToken).toBeGreaterThan(read1.fencingToken);
      await store.readWrite.release(lockKey, 'w');
      const plain = granted(await store.acquire(lockKey, 'p', 5_000));
      expect(plain.fencingToken).toBeGreaterThan(write.fencingToken);
      await store.release(lockKey, 'p');
      const read3 = granted(await store.readWrite.acquire(lockKey, 'r3', 5_000, opts('read')));
      expect(read3.fencingToken).toBeGreaterThan(plain.fencingToken);
    });

    it('keeps the write hold as the key’s mutex lease: inspected, extended and released as one', async () => {
      const store = backend();
      const lockKey = key('mutex');
      const write = granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      expect(await store.inspect(lockKey)).toEqual({
        key: lockKey,
        owner: 'w',
        fencingToken: write.fencingToken,
        expiresAt: write.expiresAt,
      });
      const [extended] = await store.extend([{ key: lockKey, owner: 'w', ttlMs: 60_000 }]);
      expect(extended).toBeGreaterThan(write.expiresAt);
      // Read holds are extended by readWrite.extend; a write hold is not one.
      expect(await store.readWrite.extend([{ key: lockKey, owner: 'w', ttlMs: 60_000 }])).toEqual([
        undefined,
      ]);
      expect(await store.release(lockKey, 'w')).toBe(true);
      expect(await store.inspect(lockKey)).toBeNull();
      granted(await store.readWrite.acquire(lockKey, 'w2', 5_000, opts('write')));
      expect(await store.readWrite.release(lockKey, 'w2')).toBe(true);
      expect(await store.readWrite.release(lockKey, 'w2')).toBe(false);
    });

    it('expires a read hold by the database clock', async () => {
      const store = backend();
      const lockKey = key('expiry');
      granted(await store.readWrite.acquire(lockKey, 'r', 150, opts('read')));
      missed(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write', { join: false })));
      await eventually(async () => (await store.acquire(lockKey, 'p', 5_000)).acquired);
      expect(await store.readWrite.release(lockKey, 'r')).toBe(false);
      expect((await store.inspect(lockKey))?.owner).toBe('p');
    });
  });

  describe('queue', () => {
    it('blocks new readers behind a waiting writer, but not the readers queued ahead of it', async () => {
      const store = backend();
      const lockKey = key('preference');
      granted(await store.readWrite.acquire(lockKey, 'w0', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'r1', 5_000, opts('read')));
      missed(await store.readWrite.acquire(lockKey, 'w1', 5_000, opts('write')));
      expect(await ticketsOf(lockKey)).toEqual(['r1:read', 'w1:write']);
      await store.readWrite.release(lockKey, 'w0');

      // A reader without a ticket is at the tail: the waiting writer stops it.
      expect(
        missed(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read'))).retryAfterMs,
      ).toBeUndefined();
      const read1 = granted(await store.readWrite.acquire(lockKey, 'r1', 5_000, opts('read')));
      // The writer now waits for the read hold; the new reader still waits behind the writer.
      expect(
        missed(await store.readWrite.acquire(lockKey, 'w1', 5_000, opts('write'))).retryAfterMs,
      ).toBeGreaterThan(4_000);
      missed(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      expect(await ticketsOf(lockKey)).toEqual(['w1:write', 'r2:read']);

      await store.readWrite.release(lockKey, 'r1');
      const write = granted(await store.readWrite.acquire(lockKey, 'w1', 5_000, opts('write')));
      expect(write.fencingToken).toBeGreaterThan(read1.fencingToken);
      missed(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      await store.readWrite.release(lockKey, 'w1');
      granted(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      expect(await ticketsOf(lockKey)).toEqual([]);
    });

    it('lets a writer pass waiting writers but not waiting readers, and a fair writer pass no one', async () => {
      const store = backend();
      const lockKey = key('fair');
      granted(await store.readWrite.acquire(lockKey, 'w0', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'w1', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'fair', 5_000, opts('write', { fair: true })));
      await store.readWrite.release(lockKey, 'w0');

      const blocked = missed(
        await store.readWrite.acquire(lockKey, 'fair', 5_000, opts('write', { fair: true })),
      );
      expect(blocked.retryAfterMs).toBeUndefined();
      granted(await store.readWrite.acquire(lockKey, 'racer', 5_000, opts('write')));
      await store.readWrite.release(lockKey, 'racer');
      missed(await store.readWrite.acquire(lockKey, 'fair', 5_000, opts('write', { fair: true })));
      granted(await store.readWrite.acquire(lockKey, 'w1', 5_000, opts('write')));
      await store.readWrite.release(lockKey, 'w1');
      granted(await store.readWrite.acquire(lockKey, 'fair', 5_000, opts('write', { fair: true })));

      // A read ticket ahead stops every writer, fair or not.
      await store.readWrite.release(lockKey, 'fair');
      granted(await store.readWrite.acquire(lockKey, 'w2', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      await store.readWrite.release(lockKey, 'w2');
      missed(await store.readWrite.acquire(lockKey, 'w3', 5_000, opts('write', { join: false })));
    });

    it('with join false leaves no ticket, and drops the one the owner had', async () => {
      const store = backend();
      const lockKey = key('join');
      granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read', { join: false })));
      expect(await ticketsOf(lockKey)).toEqual([]);
      missed(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      missed(await store.readWrite.acquire(lockKey, 'w2', 5_000, opts('write')));
      expect(await ticketsOf(lockKey)).toEqual(['r:read', 'w2:write']);
      // A second attempt keeps the place.
      missed(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      expect(await ticketsOf(lockKey)).toEqual(['r:read', 'w2:write']);
      missed(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read', { join: false })));
      expect(await ticketsOf(lockKey)).toEqual(['w2:write']);
    });

    it('skips a waiter whose ticket expired', async () => {
      const store = backend();
      const lockKey = key('ticket-expiry');
      granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      missed(
        await store.readWrite.acquire(lockKey, 'gone', 5_000, opts('write', { ticketTtlMs: 150 })),
      );
      await store.readWrite.release(lockKey, 'w');
      await eventually(
        async () =>
          (await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read', { join: false })))
            .acquired,
      );
      expect(await ticketsOf(lockKey)).toEqual([]);
    });

    it('lets a waiter leave the queue by release, which answers false', async () => {
      const store = backend();
      const lockKey = key('leave');
      granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'w2', 5_000, opts('write')));
      expect(await store.readWrite.release(lockKey, 'w2')).toBe(false);
      expect(await ticketsOf(lockKey)).toEqual([]);
      expect(await store.readWrite.release(key('never-used'), 'w2')).toBe(false);
    });
  });

  describe('extend, release and inspect', () => {
    it('extends read holds in one call, in order, answering undefined for a lost one', async () => {
      const store = backend();
      const [k1, k2] = [key('e1'), key('e2')];
      granted(await store.readWrite.acquire(k1, 'a', 5_000, opts('read')));
      granted(await store.readWrite.acquire(k1, 'b', 5_000, opts('read')));
      granted(await store.readWrite.acquire(k2, 'a', 5_000, opts('read')));
      await store.readWrite.release(k1, 'b');
      const results = await store.readWrite.extend([
        { key: k2, owner: 'a', ttlMs: 60_000 },
        { key: k1, owner: 'b', ttlMs: 60_000 },
        { key: k1, owner: 'a', ttlMs: 30_000 },
        { key: k1, owner: 'nobody', ttlMs: 60_000 },
      ]);
      expect(results).toEqual([expect.any(Number), undefined, expect.any(Number), undefined]);
      // The marker covers the latest read hold, so a plain lock stays out until then.
      expect((await leaseRowOf(k2))?.ms).toBe(results[0]);
      expect((await leaseRowOf(k1))?.ms).toBe(results[2]);
      expect(missed(await store.acquire(k1, 'p', 1_000)).retryAfterMs).toBeGreaterThan(20_000);
    });

    it('frees the marker only with the last read hold, down to the latest remaining one', async () => {
      const store = backend();
      const lockKey = key('marker');
      granted(await store.readWrite.acquire(lockKey, 'short', 5_000, opts('read')));
      const long = granted(await store.readWrite.acquire(lockKey, 'long', 60_000, opts('read')));
      expect((await leaseRowOf(lockKey))?.ms).toBe(long.expiresAt);
      await store.readWrite.release(lockKey, 'long');
      expect((await leaseRowOf(lockKey))?.owner).toBe('nestjs-locker:readers');
      expect((await leaseRowOf(lockKey))?.ms).toBeLessThan(long.expiresAt);
      expect((await store.inspect(lockKey))?.holders).toBe(1);
      await store.readWrite.release(lockKey, 'short');
      expect(await leaseRowOf(lockKey)).toEqual(
        expect.objectContaining({ owner: null, live: false }),
      );
      expect(await store.inspect(lockKey)).toBeNull();
    });

    it('runs without prepared statements (for transaction-pooling proxies)', async () => {
      const store = backend({ preparedStatements: false });
      const lockKey = key('unprepared');
      const read = granted(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      expect(await store.readWrite.extend([{ key: lockKey, owner: 'r', ttlMs: 5_000 }])).toEqual([
        expect.any(Number),
      ]);
      expect((await store.inspect(lockKey))?.fencingToken).toBe(read.fencingToken);
      expect(await store.readWrite.release(lockKey, 'r')).toBe(true);
    });

    it('wakes subscribers when the last read hold, a write hold or a ticket goes', async () => {
      const store = backend();
      const lockKey = key('wake');
      const wakes = await listen(lockKey);
      granted(await store.readWrite.acquire(lockKey, 'r1', 5_000, opts('read')));
      granted(await store.readWrite.acquire(lockKey, 'r2', 5_000, opts('read')));
      await store.readWrite.release(lockKey, 'r1');
      await store.readWrite.release(lockKey, 'r2');
      await eventually(() => wakes.count >= 1);
      granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
      missed(await store.readWrite.acquire(lockKey, 'waiter', 5_000, opts('write')));
      const before = wakes.count;
      expect(await store.readWrite.release(lockKey, 'waiter')).toBe(false);
      await eventually(() => wakes.count > before);
      const beforeWrite = wakes.count;
      expect(await store.readWrite.release(lockKey, 'w')).toBe(true);
      await eventually(() => wakes.count > beforeWrite);
    });
  });

  describe('errors', () => {
    it('refuses a key used as a semaphore and by readers at once with a LockBackendError', async () => {
      const store = backend();
      const semKey = key('sem');
      const readKey = key('read');
      granted(await store.semaphore.acquire(semKey, 's', 5_000, 2));
      granted(await store.readWrite.acquire(readKey, 'r', 5_000, opts('read')));
      for (const attempt of [
        store.readWrite.acquire(semKey, 'x', 5_000, opts('read')),
        store.readWrite.acquire(semKey, 'x', 5_000, opts('write')),
        store.semaphore.acquire(readKey, 'x', 5_000, 2),
      ]) {
        const error = (await attempt.catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(error.operation).toBe('acquire');
        expect(error.message).toMatch(/either as a mutex or as a semaphore/);
      }
      expect((await store.inspect(semKey))?.holders).toBe(1);
      expect(await store.inspect(readKey)).toEqual(
        expect.objectContaining({ owner: 'r', mode: 'read' }),
      );
    });

    it('takes a semaphore key once its last permit is released, and keeps tokens rising', async () => {
      const store = backend();
      const lockKey = key('after-sem');
      const permit = granted(await store.semaphore.acquire(lockKey, 's', 5_000, 2));
      expect(await store.semaphore.release(lockKey, 's')).toBe(true);
      // The marker lingers (a plain lock is still refused) but no permit lives: reads may enter.
      await expect(store.acquire(lockKey, 'p', 5_000)).rejects.toBeInstanceOf(LockBackendError);
      const read = granted(await store.readWrite.acquire(lockKey, 'r', 5_000, opts('read')));
      expect(read.fencingToken).toBeGreaterThan(permit.fencingToken);
      await expect(store.semaphore.acquire(lockKey, 's', 5_000, 4)).rejects.toBeInstanceOf(
        LockBackendError,
      );
      expect(await store.readWrite.release(lockKey, 'r')).toBe(true);
      granted(await store.semaphore.acquire(lockKey, 's', 5_000, 2));
      await store.semaphore.release(lockKey, 's');
      granted(await store.readWrite.acquire(lockKey, 'w', 5_000, opts('write')));
    });

    it('waits for a permit granted on a slot made in flight, and then refuses the key', async () => {
      const store = backend();
      const lockKey = key('slot-in-flight');
      granted(await store.semaphore.acquire(lockKey, 'old', 30_000, 1));
      await store.semaphore.release(lockKey, 'old');
      // Slot 0 is free but locked elsewhere, so an acquire of 2 permits makes slot 1 and takes it,
      // without locking the lingering marker; it has not committed yet.
      const [other, inFlight] = [new pg.Client(PG_URL), new pg.Client(PG_URL)];
      await Promise.all([other.connect(), inFlight.connect()]);
      cleanups.push(() => Promise.all([other.end(), inFlight.end()]));
      await other.query('BEGIN');
      await other.query(`SELECT FROM ${PERMITS} WHERE key = $1 AND slot = 0 FOR UPDATE`, [lockKey]);
      await inFlight.query('BEGIN');
      const { rows } = await inFlight.query<{ token: string | null }>(
        `SELECT out_token::text AS token FROM "public"."nestjs_locker_semaphore_acquire"($1, 'sem', 5000, 2)`,
        [lockKey],
      );
      expect(rows[0]!.token).not.toBeNull();
      await other.query('COMMIT');
      const read = store.readWrite
        .acquire(lockKey, 'r', 5_000, opts('read'))
        .catch((e: unknown) => e);
      await eventually(async () => {
        const waiting = await admin.query(
          `SELECT FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%rw_acquire%'`,
        );
        return waiting.rowCount === 1;
      });
      await inFlight.query('COMMIT');
      const error = (await read) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.message).toMatch(/held as a semaphore/);
    });

    it('never lets permits and read-write holds of one key overlap among 16 racing sessions', async () => {
      const lockKey = key('sem-race');
      const stores = Array.from({ length: 16 }, () => backend({ connection: { max: 1 } }));
      const active = { permits: 0, rw: 0 };
      const violations: string[] = [];
      let refusals = 0;
      await Promise.all(
        stores.map(async (store, index) => {
          for (let round = 0; round < 6; round++) {
            const owner = `s${index}-${round}`;
            const kind = index % 2 === 0 ? 'permit' : index % 4 === 1 ? 'read' : 'write';
            for (;;) {
              const attempt =
                kind === 'permit'
                  ? // Varying permits: some attempts make slots, the path a takeover must guard.
                    store.semaphore.acquire(lockKey, owner, 30_000, 2 + ((index + round) % 3))
                  : store.readWrite.acquire(lockKey, owner, 30_000, opts(kind, { join: false }));
              const result = await attempt.catch((error: unknown) => {
                expect(error).toBeInstanceOf(LockBackendError);
                expect((error as Error).message).toMatch(/either as a mutex or as a semaphore/);
                refusals += 1;
                return undefined;
              });
              if (result?.acquired) break;
              await sleep(Math.random() * 10);
            }
            const mine = kind === 'permit' ? 'permits' : 'rw';
            const other = kind === 'permit' ? 'rw' : 'permits';
            if (active[other] > 0) violations.push(`${kind} ${owner} overlapped`);
            active[mine] += 1;
            // Inside the hold, the store must agree: no live hold of the other kind.
            const { rows } = await admin.query<{ permits: string; readers: string }>(
              `SELECT (SELECT count(*) FROM ${PERMITS} WHERE key = $1 AND owner IS NOT NULL
                         AND expires_at > clock_timestamp()) AS permits,
                      (SELECT count(*) FROM ${READERS} WHERE key = $1
                         AND expires_at > clock_timestamp()) AS readers`,
              [lockKey],
            );
            const row = await leaseRowOf(lockKey);
            const others =
              kind === 'permit'
                ? Number(rows[0]!.readers) + (row?.owner === 'nestjs-locker:semaphore' ? 0 : 1)
                : Number(rows[0]!.permits);
            if (others > 0) violations.push(`${kind} ${owner} saw ${row?.owner} and ${others}`);
            await sleep(Math.random() * 5);
            active[mine] -= 1;
            const released =
              kind === 'permit'
                ? await store.semaphore.release(lockKey, owner)
                : await store.readWrite.release(lockKey, owner);
            expect(released).toBe(true);
          }
        }),
      );
      expect(violations).toEqual([]);
      expect(refusals).toBeGreaterThan(0);
    });

    it('refuses the owner reserved for readers markers', async () => {
      const store = backend();
      const reserved = 'nestjs-locker:readers';
      const lockKey = key('reserved');
      for (const call of [
        store.readWrite.acquire(lockKey, reserved, 1_000, opts('read')),
        store.readWrite.release(lockKey, reserved),
        store.readWrite.extend([{ key: lockKey, owner: reserved, ttlMs: 1_000 }]),
        store.acquire(lockKey, reserved, 1_000),
        store.release(lockKey, reserved),
        store.extend([{ key: lockKey, owner: reserved, ttlMs: 1_000 }]),
      ]) {
        await expect(call).rejects.toBeInstanceOf(InvalidLockOptionsError);
      }
    });

    it('fails every read-write call on an unreachable server with LockBackendError', async () => {
      const store = backend({ connectionString: DEAD_URL, commandTimeoutMs: 500 });
      const calls: [string, Promise<unknown>][] = [
        ['acquire', store.readWrite.acquire('dead', 'o', 1_000, opts('read'))],
        ['release', store.readWrite.release('dead', 'o')],
        ['extend', store.readWrite.extend([{ key: 'dead', owner: 'o', ttlMs: 1_000 }])],
      ];
      for (const [operation, call] of calls) {
        const error = (await call.catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(error.operation).toBe(operation);
        expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
      }
    });

    it('on tables made by an older version’s DDL, says to run the DDL again, which adds read-write locks', async () => {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      const ddl = PostgresLockBackend.createTableSql({ schema });
      // The DDL of the version before read-write locks: everything up to the readers table.
      await admin.query(
        ddl.slice(0, ddl.indexOf(`CREATE TABLE IF NOT EXISTS "${schema}"."nestjs_locker_readers"`)),
      );
      const store = backend({ schema, createTable: false });
      granted(await store.semaphore.acquire('s', 'o', 5_000, 2));
      const error = (await store.readWrite
        .acquire('k', 'o', 5_000, opts('read'))
        .catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.message).toContain('sql/nestjs-locker.sql');
      await admin.query(ddl);
      granted(await store.readWrite.acquire('k', 'o', 5_000, opts('read')));
    });
  });

  it('sweeps long-dead read holds and tickets', async () => {
    const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
    schemas.push(schema);
    const store = backend({ schema, sweepIntervalMs: 150 });
    const lockKey = key('sweep');
    granted(await store.readWrite.acquire(lockKey, 'gone', 50, opts('read')));
    granted(await store.readWrite.acquire(`${lockKey}:w`, 'holder', 60_000, opts('write')));
    missed(
      await store.readWrite.acquire(
        `${lockKey}:w`,
        'gone',
        5_000,
        opts('read', { ticketTtlMs: 50 }),
      ),
    );
    await eventually(async () => {
      const { rows } = await admin.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM "${schema}"."nestjs_locker_readers")
              + (SELECT count(*) FROM "${schema}"."nestjs_locker_rw_queue") AS n`,
      );
      return Number(rows[0]!.n) === 0;
    });
    expect((await store.inspect(`${lockKey}:w`))?.owner).toBe('holder');
  });

  it('never lets a writer overlap anyone among 24 sessions racing reads and writes', async () => {
    const lockKey = key('race');
    const stores = Array.from({ length: 24 }, () => backend({ connection: { max: 1 } }));
    const active = { readers: 0, writers: 0 };
    const violations: string[] = [];
    let writes = 0;
    const tokens: bigint[] = [];

    const check = async (mode: LockMode, owner: string) => {
      // Inside the hold, the store must agree: a writer alone, readers under their marker.
      const row = await leaseRowOf(lockKey);
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${READERS} WHERE key = $1 AND expires_at > clock_timestamp()`,
        [lockKey],
      );
      const liveReaders = Number(rows[0]!.n);
      if (mode === 'write' && (row?.owner !== owner || liveReaders !== 0)) {
        violations.push(`writer ${owner} saw ${row?.owner} and ${liveReaders} readers`);
      }
      if (mode === 'read' && (row?.owner !== 'nestjs-locker:readers' || liveReaders < 1)) {
        violations.push(`reader ${owner} saw ${row?.owner} and ${liveReaders} readers`);
      }
    };

    await Promise.all(
      stores.map(async (store, index) => {
        for (let round = 0; round < 5; round++) {
          const mode: LockMode = (index + round) % 4 === 0 ? 'write' : 'read';
          const owner = `s${index}-${round}`;
          let result = await store.readWrite.acquire(lockKey, owner, 30_000, opts(mode));
          while (!result.acquired) {
            await sleep(5 + Math.random() * 20);
            result = await store.readWrite.acquire(lockKey, owner, 30_000, opts(mode));
          }
          tokens.push(result.fencingToken);
          if (mode === 'write') {
            if (active.readers > 0 || active.writers > 0)
              violations.push(`writer ${owner} overlapped`);
            active.writers += 1;
            writes += 1;
          } else {
            if (active.writers > 0) violations.push(`reader ${owner} overlapped a writer`);
            active.readers += 1;
          }
          await check(mode, owner);
          await sleep(Math.random() * 10);
          if (mode === 'write') active.writers -= 1;
          else active.readers -= 1;
          expect(await store.readWrite.release(lockKey, owner)).toBe(true);
        }
      }),
    );
    expect(violations).toEqual([]);
    expect(writes).toBe(30);
    expect(new Set(tokens).size).toBe(120);
    expect(await ticketsOf(lockKey)).toEqual([]);
  });
});
