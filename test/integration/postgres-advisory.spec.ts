import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  InvalidLockOptionsError,
  LockLostError,
  LockManager,
  PostgresAdvisoryLockBackend,
} from '../../lib/index.js';
import { aborted, eventually, uniqueId } from '../support/async.js';
import { PG_URL } from '../support/servers.js';
import { attemptsOfTwoWaits } from '../support/subscribe-first.js';
import { spawnWorker, within } from '../support/worker-processes.js';

/** Far longer than any wait below: a take-over in time can only come from the session's end. */
const LONG_TTL_MS = 60_000;

describe('PostgresAdvisoryLockBackend: leases that are the session', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => admin.end());

  const backend = (
    options: Partial<ConstructorParameters<typeof PostgresAdvisoryLockBackend>[0]> = {},
  ): PostgresAdvisoryLockBackend => {
    const created = new PostgresAdvisoryLockBackend({
      connectionString: PG_URL,
      ...options,
    } as ConstructorParameters<typeof PostgresAdvisoryLockBackend>[0]);
    cleanups.push(() => created.close());
    return created;
  };
  const manager = (keyPrefix: string, on = backend()): LockManager => {
    const created = new LockManager({ backend: on, keyPrefix });
    cleanups.push(() => created.close());
    return created;
  };
  /** The pid of the session that holds `storeKey`, from its row. */
  const sessionOf = async (storeKey: string): Promise<number> => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM public.nestjs_locker_advisory WHERE key = $1',
      [storeKey],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.pid;
  };
  const terminate = async (pid: number): Promise<void> => {
    const { rows } = await admin.query<{ done: boolean }>(
      'SELECT pg_terminate_backend($1) AS done',
      [pid],
    );
    expect(rows[0]!.done).toBe(true);
  };

  it('loses every lock of the process at once when its session ends, and a waiter takes over without waiting for the ttl', async () => {
    const keyPrefix = `adv:${uniqueId()}:`;
    const holder = manager(keyPrefix);
    const held = await Promise.all(
      ['a', 'b', 'c'].map((key) => holder.acquire(key, { ttl: LONG_TTL_MS })),
    );
    const lost: string[] = [];
    holder.on('lost', ({ key }) => lost.push(key));
    const waiter = manager(keyPrefix);
    const next = waiter.acquire('a', { wait: 20_000, ttl: 5_000 });

    await terminate(await sessionOf(`${keyPrefix}a`));

    const reasons = await Promise.all(held.map((lock) => aborted(lock.signal, 10_000)));
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(LockLostError);
      expect((reason as LockLostError).reason).toBe('not-held');
    }
    expect(lost.sort()).toEqual(['a', 'b', 'c']);
    const taken = await within(next, 25_000, 'take-over');
    expect(taken.fencingToken > held[0]!.fencingToken).toBe(true);
    expect(await waiter.inspect('b')).toBeNull();

    // The holder's backend opens a new session on its next call.
    const again = await holder.acquire('b', { ttl: 5_000 });
    expect(again.fencingToken > taken.fencingToken).toBe(true);
    expect((await waiter.inspect('b'))?.fencingToken).toBe(again.fencingToken);
  });

  it('frees the locks of a process killed with SIGKILL at once', async () => {
    const keyPrefix = `adv-kill:${uniqueId()}:`;
    const worker = spawnWorker('test/fixtures/advisory-holder.worker.mjs', 0, {
      connectionString: PG_URL,
      keyPrefix,
      key: 'job',
      ttl: LONG_TTL_MS,
      outFile: '',
    });
    cleanups.push(() => worker.child.kill('SIGKILL'));
    const lines: string[] = [];
    createInterface({ input: worker.child.stdout! }).on('line', (line) => lines.push(line));
    await eventually(() => lines.some((line) => line.startsWith('holding ')), 30_000);
    const holderToken = BigInt(lines.find((line) => line.startsWith('holding '))!.slice(8));

    const waiter = manager(keyPrefix);
    expect(await waiter.tryAcquire('job')).toBeNull();
    expect((await waiter.inspect('job'))?.fencingToken).toBe(holderToken);
    worker.child.kill('SIGKILL');
    await worker.exited;
    const next = await within(waiter.acquire('job', { wait: 20_000 }), 25_000, 'take-over');
    expect(next.fencingToken > holderToken).toBe(true);
  });

  it('names the holder to every backend, names nobody for a row its dead session left, and sweeps that row', async () => {
    const keyPrefix = `adv-inspect:${uniqueId()}:`;
    const holder = manager(keyPrefix);
    const lock = await holder.acquire('job', { ttl: LONG_TTL_MS });
    const elsewhere = backend();
    const seen = await elsewhere.inspect(`${keyPrefix}job`);
    expect(seen).toMatchObject({ owner: lock.owner, fencingToken: lock.fencingToken });
    expect(seen!.expiresAt).toBeGreaterThan(Date.now() + LONG_TTL_MS / 2);

    await terminate(await sessionOf(`${keyPrefix}job`));
    await aborted(lock.signal, 10_000);
    expect(await elsewhere.inspect(`${keyPrefix}job`)).toBeNull();
    // The dead session's row is still there until a sweep.
    await sessionOf(`${keyPrefix}job`);
    backend({ sweepIntervalMs: 100 });
    await eventually(async () => {
      const { rows } = await admin.query(
        'SELECT 1 FROM public.nestjs_locker_advisory WHERE key = $1',
        [`${keyPrefix}job`],
      );
      return rows.length === 0;
    }, 10_000);
  });

  it('lets one owner of a process hold a key at a time, though the session would grant it again', async () => {
    const keyPrefix = `adv-local:${uniqueId()}:`;
    const locks = manager(keyPrefix);
    let inside = 0;
    let most = 0;
    let runs = 0;
    await Promise.all(
      Array.from({ length: 16 }, () =>
        locks.using(
          'counter',
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 2));
            runs++;
            inside--;
          },
          { wait: 20_000 },
        ),
      ),
    );
    expect(runs).toBe(16);
    expect(most).toBe(1);
    // Each of those 16 holds was unlocked once: the session holds the key no more.
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = $1`,
      [await sessionOf(`${keyPrefix}counter`)],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  describe('wake-ups', () => {
    /** Subscribes `on` to `key`; `woken` resolves on the next wake-up it delivers. */
    const nextWake = async (
      on: PostgresAdvisoryLockBackend,
      key: string,
    ): Promise<{ woken: Promise<void> }> => {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      cleanups.push(await on.subscribe!(key, () => wake()));
      return { woken };
    };

    it('wakes a waiter of another session at the release of the key it missed', async () => {
      const key = `adv-wake:${uniqueId()}`;
      const holder = backend();
      const waiter = backend();
      expect(await holder.acquire(key, 'h', LONG_TTL_MS)).toMatchObject({ acquired: true });
      const { woken } = await nextWake(waiter, key);
      expect(await waiter.acquire(key, 'w', LONG_TTL_MS)).toMatchObject({ acquired: false });
      expect(await holder.release(key, 'h')).toBe(true);
      // Only the release can resolve this: nothing re-checks on a timer here.
      await within(woken, 10_000, 'the wake-up of the release');
      expect(await waiter.acquire(key, 'w', LONG_TTL_MS)).toMatchObject({ acquired: true });
    });

    it('loses no wake-up when a miss and the release race', async () => {
      const holder = backend();
      const waiter = backend();
      for (let round = 0; round < 100; round++) {
        const key = `adv-race:${uniqueId()}`;
        expect(await holder.acquire(key, 'h', LONG_TTL_MS)).toMatchObject({ acquired: true });
        const { woken } = await nextWake(waiter, key);
        // Each side sent first in turn, the other after 0 to 3 turns of the event loop.
        const later = <T>(call: () => Promise<T>): Promise<T> =>
          new Promise((resolve) => setTimeout(resolve, 0)).then(async () => {
            for (let turn = 0; turn < Math.floor(round / 2) % 4; turn++) {
              await new Promise((resolve) => setImmediate(resolve));
            }
            return call();
          });
        const release = () => holder.release(key, 'h');
        const tryIt = () => waiter.acquire(key, 'w', LONG_TTL_MS);
        const [released, attempt] =
          round % 2 === 0
            ? await Promise.all([release(), later(tryIt)])
            : await Promise.all([later(release), tryIt()]);
        expect(released).toBe(true);
        // A miss means the holder still held the key when the waiter tried: its release must wake
        // the waiter (the waiter's own re-check would have taken the key).
        if (!attempt.acquired) await within(woken, 10_000, `the wake-up of round ${round}`);
        else expect(await waiter.release(key, 'w')).toBe(true);
      }
    });

    it("wakes this process's own waiters, which miss in memory", async () => {
      const key = `adv-local-wake:${uniqueId()}`;
      const store = backend();
      expect(await store.acquire(key, 'a', LONG_TTL_MS)).toMatchObject({ acquired: true });
      const { woken } = await nextWake(store, key);
      expect(await store.acquire(key, 'b', LONG_TTL_MS)).toMatchObject({ acquired: false });
      expect(await store.release(key, 'a')).toBe(true);
      await within(woken, 10_000, 'the local wake-up');
    });
  });

  it('a wait on a key this process waits on already subscribes first: one attempt, then it sleeps', async () => {
    const attempts = await attemptsOfTwoWaits(backend(), backend(), `adv:${uniqueId()}:`);
    expect(attempts).toEqual({ first: 2, second: 1 });
  });

  it('refuses an option that does not exist, naming it', () => {
    const options = { connectionString: PG_URL, listn: false } as unknown as {
      connectionString: string;
    };
    expect(() => new PostgresAdvisoryLockBackend(options)).toThrow(
      expect.objectContaining({ name: 'InvalidLockOptionsError', field: 'listn' }),
    );
  });

  it('refuses a pool whose connection settings it cannot read, naming the option', () => {
    const pool = { query: () => Promise.resolve({ rows: [] }), end: () => Promise.resolve() };
    expect(() => new PostgresAdvisoryLockBackend({ pool })).toThrow(InvalidLockOptionsError);
    expect(() => new PostgresAdvisoryLockBackend({ pool, listen: false })).toThrow(
      /holds its locks on a connection of its own/,
    );
  });
});
