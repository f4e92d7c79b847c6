import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockManager,
  PostgresLockBackend,
  type PostgresLockBackendOptions,
} from '../../lib/index.js';
import { eventually, sleep, uniqueId } from '../support/async.js';
import { PG_URL, testPort } from '../support/servers.js';
import { attemptsOfTwoWaits } from '../support/subscribe-first.js';

/** Nothing listens here: connections are refused at once. */
const DEAD_URL = `postgres://postgres:s3cret-pw@127.0.0.1:${testPort(5449)}/postgres`;

/** Polls `condition` until it holds; a generous bound, not a measurement. */
describe('PostgresLockBackend', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const cleanups: (() => Promise<unknown>)[] = [];
  const schemas: string[] = [];

  /** A fresh schema per test that needs its own table, dropped at the end. */
  const freshSchema = (): string => {
    const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
    schemas.push(schema);
    return schema;
  };
  const backend = (options: PostgresLockBackendOptions): PostgresLockBackend => {
    const created = new PostgresLockBackend(options);
    cleanups.push(() => created.close());
    return created;
  };
  const managerOn = (store: PostgresLockBackend, keyPrefix = `pg:${uniqueId()}:`): LockManager => {
    const manager = new LockManager({ backend: store, keyPrefix });
    cleanups.push(() => manager.close());
    return manager;
  };
  const rowsOf = async (table: string, key: string) =>
    (
      await admin.query<{ owner: string | null; token: string }>(
        `SELECT owner, token::text AS token FROM ${table} WHERE key = $1`,
        [key],
      )
    ).rows;

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  describe('options', () => {
    it.each([
      ['no options', undefined, 'options'],
      ['an upper-case schema', { connectionString: PG_URL, schema: 'Locks' }, 'schema'],
      [
        'a schema with a quote',
        { connectionString: PG_URL, schema: 'a"; DROP TABLE x; --' },
        'schema',
      ],
      ['an empty table', { connectionString: PG_URL, table: '' }, 'table'],
      ['a table starting with a digit', { connectionString: PG_URL, table: '1locks' }, 'table'],
      ['a 58-character table', { connectionString: PG_URL, table: 'a'.repeat(58) }, 'table'],
      ['a 64-character schema', { connectionString: PG_URL, schema: 'a'.repeat(64) }, 'schema'],
      ['a table that is not a string', { connectionString: PG_URL, table: 7 }, 'table'],
      [
        'a zero command timeout',
        { connectionString: PG_URL, commandTimeoutMs: 0 },
        'commandTimeoutMs',
      ],
      [
        'a fractional command timeout',
        { connectionString: PG_URL, commandTimeoutMs: 1.5 },
        'commandTimeoutMs',
      ],
      [
        'a string command timeout',
        { connectionString: PG_URL, commandTimeoutMs: '3s' },
        'commandTimeoutMs',
      ],
      [
        'a negative sweep interval',
        { connectionString: PG_URL, sweepIntervalMs: -1 },
        'sweepIntervalMs',
      ],
      [
        'a non-boolean createTable',
        { connectionString: PG_URL, createTable: 'yes' },
        'createTable',
      ],
      [
        'a non-boolean preparedStatements',
        { connectionString: PG_URL, preparedStatements: 1 },
        'preparedStatements',
      ],
      ['a numeric listen', { connectionString: PG_URL, listen: 42 }, 'listen'],
      [
        'an option that does not exist',
        { connectionString: PG_URL, comandTimeoutMs: 100 },
        'comandTimeoutMs',
      ],
      [
        'mode (the advisory mode is its own class)',
        { connectionString: PG_URL, mode: 'advisory' },
        'mode',
      ],
      ['a pool that is not a pool', { pool: {} }, 'pool'],
      ['a connection string that is not a string', { connectionString: 5 }, 'connectionString'],
      ['connection settings that are not an object', { connection: 'host=x' }, 'connection'],
      [
        'listening on a pool that hides its settings',
        { pool: { query: async () => ({ rows: [] }), end: async () => {} } },
        'listen',
      ],
    ])('refuses %s with InvalidLockOptionsError', (_name, options, field) => {
      const create = () =>
        new PostgresLockBackend(options as unknown as PostgresLockBackendOptions);
      expect(create).toThrow(InvalidLockOptionsError);
      expect(create).toThrow(expect.objectContaining({ field, code: 'INVALID_LOCK_OPTIONS' }));
    });

    it('accepts a pool that hides its settings when listen is false or names a connection', () => {
      const pool = { query: async () => ({ rows: [] }), end: async () => {} };
      expect(backend({ pool, listen: false }).subscribe).toBeUndefined();
      expect(typeof backend({ pool, listen: PG_URL }).subscribe).toBe('function');
    });
  });

  describe('the lease table', () => {
    it('ships sql/nestjs-locker.sql with exactly the DDL the backend runs', () => {
      const shipped = readFileSync('sql/nestjs-locker.sql', 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('--'))
        .join('\n');
      try {
        expect(shipped).toBe(PostgresLockBackend.createTableSql());
      } catch (failure) {
        // Above jest's diff: how to bring the file up to date.
        (failure as Error).message =
          `sql/nestjs-locker.sql differs from the DDL in the code: run \`npm run sql\` to write it again.\n\n${(failure as Error).message}`;
        throw failure;
      }
      const custom = PostgresLockBackend.createTableSql({ schema: 'locks', table: 'leases' });
      expect(custom).toContain('CREATE SCHEMA IF NOT EXISTS "locks";');
      expect(custom).toContain('CREATE TABLE IF NOT EXISTS "locks"."leases"');
      expect(custom).toContain('CREATE SEQUENCE IF NOT EXISTS "locks"."leases_fence"');
      expect(() => PostgresLockBackend.createTableSql({ table: 'x y' })).toThrow(
        InvalidLockOptionsError,
      );
    });

    it('creates schema, table and sequence once when eight processes start at the same time', async () => {
      const schema = freshSchema();
      const stores = Array.from({ length: 8 }, () =>
        backend({ connectionString: PG_URL, schema, table: 'leases' }),
      );
      const locks = stores.map((store) => managerOn(store, 'ddl:'));
      const taken = await Promise.all(locks.map((manager, i) => manager.tryAcquire(`k${i}`)));
      expect(taken.every((lock) => lock !== null)).toBe(true);
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}"."leases"`,
      );
      expect(rows[0]!.n).toBe(8);
    });

    it('with createTable false, fails with a LockBackendError naming the SQL file until the table exists', async () => {
      const schema = freshSchema();
      const store = backend({ connectionString: PG_URL, schema, createTable: false });
      const locks = managerOn(store);
      const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.backend).toBe('postgres');
      expect(error.message).toContain('nestjs-locker.sql');
      expect(error.message).toContain(`"${schema}"."nestjs_locker"`);
      // A DBA runs the DDL; the same backend then works without a restart.
      await admin.query(PostgresLockBackend.createTableSql({ schema }));
      const lock = await locks.acquire('k');
      expect(lock.fencingToken).toBeGreaterThan(0n);
      await lock.release();
    });
  });

  it('a wait on a key this process waits on already subscribes first: one attempt, then it sleeps', async () => {
    const attempts = await attemptsOfTwoWaits(
      backend({ connectionString: PG_URL }),
      backend({ connectionString: PG_URL }),
      `pg:${uniqueId()}:`,
    );
    expect(attempts).toEqual({ first: 2, second: 1 });
  });

  describe('statements', () => {
    it('grants one of 16 contenders in the same tick, and 50 distinct keys in one batch', async () => {
      const locks = managerOn(backend({ connectionString: PG_URL }));
      const contenders = await Promise.all(
        Array.from({ length: 16 }, () => locks.tryAcquire('same')),
      );
      expect(contenders.filter((lock) => lock !== null)).toHaveLength(1);
      const many = await Promise.all(
        Array.from({ length: 50 }, (_, i) => locks.tryAcquire(`k${i}`)),
      );
      const tokens = new Set(many.map((lock) => lock?.fencingToken));
      expect(tokens.size).toBe(50);
      expect(tokens.has(undefined)).toBe(false);
      // Released in one tick: one statement, every row freed.
      const released = await Promise.all(many.map((lock) => lock!.release()));
      expect(released).toHaveLength(50);
      for (const lock of many) expect(await locks.isLocked(lock!.key)).toBe(false);
    });

    it('stores a key full of SQL metacharacters verbatim and leaves the table intact', async () => {
      const store = backend({ connectionString: PG_URL });
      const key = `x'); DROP TABLE nestjs_locker; -- "$1" \\ %_ ${uniqueId()}`;
      const lease = await store.acquire(key, 'owner-a', 5_000);
      expect(lease.acquired).toBe(true);
      const rows = await rowsOf('"public"."nestjs_locker"', key);
      expect(rows).toEqual([{ owner: 'owner-a', token: expect.any(String) }]);
      expect(await store.release(key, 'owner-a')).toBe(true);
    });

    it('expires leases by clock_timestamp(), also inside a caller’s open transaction', async () => {
      // One connection in an open transaction: now() stands still there, clock_timestamp() does not.
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      cleanups.push(() => client.end());
      await client.query('BEGIN');
      cleanups.push(() => client.query('ROLLBACK'));
      const store = backend({ pool: client, listen: false });
      const key = `tx:${uniqueId()}`;
      expect((await store.acquire(key, 'owner-a', 300)).acquired).toBe(true);
      expect((await store.acquire(key, 'owner-b', 300)).acquired).toBe(false);
      await sleep(600);
      const takeover = await store.acquire(key, 'owner-b', 300);
      expect(takeover.acquired).toBe(true);
    });

    it('leaves a pool it was given open on close', async () => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
      cleanups.push(() => pool.end());
      const store = new PostgresLockBackend({ pool });
      const locks = new LockManager({ backend: store, keyPrefix: `shared:${uniqueId()}:` });
      const lock = await locks.acquire('k');
      await lock.release();
      await locks.close();
      await store.close();
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0]!.one).toBe(1);
    });

    it('keeps prepared statements of two tables apart on one shared connection', async () => {
      const schema = freshSchema();
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
      cleanups.push(() => pool.end());
      const first = backend({ pool, schema, table: 'first', listen: false });
      const second = backend({ pool, schema, table: 'second', listen: false });
      for (let i = 0; i < 3; i++) {
        expect((await first.acquire(`a${i}`, 'o', 5_000)).acquired).toBe(true);
        expect((await second.acquire(`b${i}`, 'o', 5_000)).acquired).toBe(true);
      }
      expect(await rowsOf(`"${schema}"."first"`, 'a2')).toHaveLength(1);
      expect(await rowsOf(`"${schema}"."first"`, 'b2')).toHaveLength(0);
      expect(await rowsOf(`"${schema}"."second"`, 'b2')).toHaveLength(1);
    });

    it('works without prepared statements (for transaction-pooling proxies)', async () => {
      const locks = managerOn(backend({ connectionString: PG_URL, preparedStatements: false }));
      const lock = await locks.acquire('k', { ttl: 1_000 });
      expect(await lock.extend(5_000)).toBeUndefined();
      expect((await locks.inspect('k'))?.fencingToken).toBe(lock.fencingToken);
      await lock.release();
      expect(await locks.isLocked('k')).toBe(false);
    });
  });

  describe('fencing tokens and rows', () => {
    it('keeps a released row with its token, so the next holder gets a greater one', async () => {
      const store = backend({ connectionString: PG_URL });
      const key = `rel:${uniqueId()}`;
      const first = await store.acquire(key, 'owner-a', 5_000);
      expect(await store.release(key, 'owner-a')).toBe(true);
      const rows = await rowsOf('"public"."nestjs_locker"', key);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.owner).toBeNull();
      const second = await store.acquire(key, 'owner-b', 5_000);
      expect(first.acquired && second.acquired).toBe(true);
      if (first.acquired && second.acquired) {
        expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
        expect(BigInt(rows[0]!.token)).toBe(first.fencingToken);
      }
    });

    it('sweeps rows free for a sweep interval, and tokens still rise after the row is gone', async () => {
      const schema = freshSchema();
      const store = backend({ connectionString: PG_URL, schema, sweepIntervalMs: 150 });
      const key = `swept:${uniqueId()}`;
      const first = await store.acquire(key, 'owner-a', 5_000);
      const held = `held:${uniqueId()}`;
      await store.acquire(held, 'owner-h', 60_000);
      await store.release(key, 'owner-a');
      await eventually(async () => (await rowsOf(`"${schema}"."nestjs_locker"`, key)).length === 0);
      // A live lease is never swept.
      expect(await rowsOf(`"${schema}"."nestjs_locker"`, held)).toHaveLength(1);
      const second = await store.acquire(key, 'owner-b', 5_000);
      expect(first.acquired && second.acquired).toBe(true);
      if (first.acquired && second.acquired) {
        expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      }
    });
    it('sweeps more rows than one batch in one sweep, a batch at a time', async () => {
      const schema = freshSchema();
      const intervalMs = 3_000;
      const store = backend({ connectionString: PG_URL, schema, sweepIntervalMs: intervalMs });
      await store.acquire(`first:${uniqueId()}`, 'owner-a', 60_000); // makes the table
      const table = `"${schema}"."nestjs_locker"`;
      // 2,500 keys released an hour ago: two and a half batches of the sweep.
      await admin.query(
        `INSERT INTO ${table} (key, owner, token, expires_at)
         SELECT 'bulk:' || g, NULL, g, clock_timestamp() - interval '1 hour'
           FROM generate_series(1, 2500) g`,
      );
      const bulk = async (): Promise<number> =>
        Number(
          (await admin.query(`SELECT count(*) AS n FROM ${table} WHERE key LIKE 'bulk:%'`)).rows[0]
            .n,
        );
      await eventually(async () => (await bulk()) < 2_500, 2 * intervalMs);
      const firstSeenAt = Date.now();
      await eventually(async () => (await bulk()) === 0, 2 * intervalMs);
      // All in the sweep that began it, not one batch per interval (that would take 2 more).
      expect(Date.now() - firstSeenAt).toBeLessThan(intervalMs);
    });
  });

  describe('wake-ups', () => {
    it('with listen false has no subscription, and a waiter is served by polling', async () => {
      const store = backend({ connectionString: PG_URL, listen: false });
      expect(store.subscribe).toBeUndefined();
      const locks = managerOn(store);
      const holder = await locks.acquire('k', { ttl: 10_000 });
      const waiter = locks.acquire('k', { wait: 10_000 });
      await sleep(100);
      await holder.release();
      const lock = await waiter;
      expect(lock.fencingToken).toBeGreaterThan(holder.fencingToken);
    });

    it('reconnects its LISTEN connection after pg_terminate_backend, and releases wake again', async () => {
      const name = `locker_listen_${uniqueId()}`.slice(0, 60);
      const store = backend({
        connectionString: PG_URL,
        listen: { connectionString: PG_URL, application_name: name },
      });
      const other = backend({ connectionString: PG_URL });
      const key = `wake:${uniqueId()}`;
      let wakeups = 0;
      const unsubscribe = await store.subscribe!(key, () => {
        wakeups++;
      });
      cleanups.push(async () => unsubscribe());
      const listenerPid = async (): Promise<number | undefined> =>
        (
          await admin.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
            [name],
          )
        ).rows[0]?.pid;
      const before = await listenerPid();
      expect(before).toBeDefined();

      await admin.query('SELECT pg_terminate_backend($1)', [before]);
      await eventually(async () => {
        const pid = await listenerPid();
        return pid !== undefined && pid !== before;
      });
      // The reconnect itself wakes waiters (notifications may have been lost meanwhile).
      const afterReconnect = wakeups;
      expect(afterReconnect).toBeGreaterThanOrEqual(1);

      expect((await other.acquire(key, 'owner-a', 5_000)).acquired).toBe(true);
      expect(await other.release(key, 'owner-a')).toBe(true);
      await eventually(async () => wakeups > afterReconnect);
    });
  });

  describe('when the database fails', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts connections and never answers, like a server stuck or behind a black hole.
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('fails on an unreachable server with LockBackendError and its cause, never showing the password', async () => {
      const locks = managerOn(backend({ connectionString: DEAD_URL, commandTimeoutMs: 500 }));
      const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.code).toBe('LOCK_BACKEND_ERROR');
      expect(error.backend).toBe('postgres');
      expect(error.operation).toBe('acquire');
      // The cause is Node's own socket error (another realm than jest's Error).
      expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
      expect(`${error.message} ${String(error.cause)} ${error.stack}`).not.toContain('s3cret-pw');
      await expect(locks.tryAcquire('k')).rejects.toBeInstanceOf(LockBackendError);
      await expect(locks.inspect('k')).rejects.toBeInstanceOf(LockBackendError);
    });

    it('gives up on a server that accepts connections but never answers, within the command timeout', async () => {
      const { port } = silent.address() as { port: number };
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const locks = managerOn(backend({ connectionString: url, commandTimeoutMs: 300 }));
      const error = (await locks
        .acquire('k', { wait: 0 })
        .catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      // The subscription of a waiter fails the same way; the waiter then falls back to polling.
      const store = backend({ connectionString: url, commandTimeoutMs: 300 });
      await expect(store.subscribe!('k', () => {})).rejects.toBeInstanceOf(LockBackendError);
    });

    it('times out calls on a pool it was given', async () => {
      const { port } = silent.address() as { port: number };
      const pool = new pg.Pool({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      });
      pool.on('error', () => {});
      const store = backend({ pool, listen: false, commandTimeoutMs: 300 });
      const error = (await store
        .acquire('k', 'o', 1_000)
        .catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(String(error.cause)).toContain('300 ms');
      // pool.end() would wait for the stuck connection; destroy the sockets instead.
      for (const socket of sockets) socket.destroy();
      cleanups.push(() => pool.end().catch(() => undefined));
    });
  });
});
