import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  LockBackendError,
  PostgresLockBackend,
  type PostgresLockBackendOptions,
} from '../../lib/index.js';
import { eventually, uniqueId } from '../support/async.js';
import { granted } from '../support/lease-results.js';
import { postgresSpecKit } from '../support/postgres-spec-kit.js';
import { PG_URL } from '../support/servers.js';

const rw = (mode: 'read' | 'write') =>
  ({ mode, fair: false, ticketTtlMs: 5_000, join: false }) as const;

describe('PostgresLockBackend shared outcomes, and the upgrade of older tables', () => {
  const { admin, cleanups, backend, freshSchema } = postgresSpecKit({ listen: false });

  /** Runs the DDL of the version before waits and results in `schema`; answers today's DDL. */
  const olderTables = async (schema: string): Promise<string> => {
    const ddl = PostgresLockBackend.createTableSql({ schema });
    await admin.query(
      ddl.slice(0, ddl.indexOf(`CREATE TABLE IF NOT EXISTS "${schema}"."nestjs_locker_waits"`)),
    );
    return ddl;
  };
  const count = async (table: string): Promise<number> =>
    Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const key = (name: string): string => `res:${uniqueId()}:${name}`;

  it('stores an outcome under a write hold, never under read holds or semaphore permits', async () => {
    const store = backend();
    const [written, read, sem] = [key('write'), key('read'), key('sem')];
    granted(await store.readWrite.acquire(written, 'w', 5_000, rw('write')));
    expect(await store.results.put(written, 'w', '"w"', 5_000)).toBe(true);
    granted(await store.readWrite.acquire(read, 'r', 5_000, rw('read')));
    granted(await store.semaphore.acquire(sem, 's', 5_000, 2));
    for (const [lockKey, owner] of [
      [read, 'r'],
      [read, 'nestjs-locker:readers'],
      [sem, 's'],
      [sem, 'nestjs-locker:semaphore'],
    ] as const) {
      expect(await store.results.put(lockKey, owner, '"x"', 5_000)).toBe(false);
      expect(await store.results.get(lockKey)).toBeNull();
    }
    expect((await store.results.get(written))?.value).toBe('"w"');
  });

  it('holds off a release of the key until a put in flight commits', async () => {
    const store = backend();
    const lockKey = key('in-flight');
    granted(await store.acquire(lockKey, 'runner', 5_000));
    // The put, on a connection of its own, left open in a transaction.
    const client = new pg.Client(PG_URL);
    await client.connect();
    cleanups.push(() => client.end());
    const putter = backend({ pool: client } as Partial<PostgresLockBackendOptions>);
    await putter.inspect(lockKey);
    await client.query('BEGIN');
    expect(await putter.results.put(lockKey, 'runner', '"done"', 5_000)).toBe(true);
    let released = false;
    const release = store.release(lockKey, 'runner').then((result) => {
      released = true;
      return result;
    });
    await eventually(async () => {
      const waiting = await admin.query(
        `SELECT FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()
            AND query LIKE '%nestjs_locker%'`,
      );
      return (waiting.rowCount ?? 0) > 0;
    });
    expect(released).toBe(false);
    await client.query('COMMIT');
    expect(await release).toBe(true);
    expect((await store.results.get(lockKey))?.value).toBe('"done"');
  });

  it('sweeps waits and outcomes long expired', async () => {
    const schema = freshSchema();
    const store = backend({ schema, sweepIntervalMs: 150 });
    const lockKey = key('sweep');
    granted(await store.acquire(lockKey, 'o', 5_000));
    expect(await store.results.put(lockKey, 'o', '1', 50)).toBe(true);
    await store.waits.publish({ id: key('gone'), holds: ['o'], keys: ['x'] }, 50, 8);
    await store.waits.publish({ id: key('live'), holds: ['o'], keys: ['x'] }, 60_000, 8);
    const [waits, results] = [
      `"${schema}"."nestjs_locker_waits"`,
      `"${schema}"."nestjs_locker_results"`,
    ];
    expect([await count(waits), await count(results)]).toEqual([2, 1]);
    await eventually(async () => (await count(waits)) === 1 && (await count(results)) === 0);
  });

  it('on tables an older version made, keeps plain locks and sweeps, and says to run the DDL for waits and results', async () => {
    const schema = freshSchema();
    const ddl = await olderTables(schema);
    const store = backend({ schema, createTable: false, sweepIntervalMs: 150 });
    const lockKey = key('old');
    granted(await store.acquire(lockKey, 'o', 5_000));
    granted(await store.readWrite.acquire(key('read'), 'r', 50, rw('read')));
    // The sweep of read holds does not depend on the tables it cannot find.
    await eventually(async () => (await count(`"${schema}"."nestjs_locker_readers"`)) === 0);
    for (const call of [
      store.waits.publish({ id: 'w', holds: ['o'], keys: [lockKey] }, 5_000, 8),
      store.waits.withdraw('w'),
      store.results.put(lockKey, 'o', '1', 5_000),
      store.results.get(lockKey),
    ]) {
      const error = (await call.catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.message).toContain('sql/nestjs-locker.sql');
    }
    await admin.query(ddl);
    expect(
      (await store.waits.publish({ id: 'w', holds: ['o'], keys: [lockKey] }, 5_000, 8))[0]?.[0]?.id,
    ).toBe('w');
    expect(await store.results.put(lockKey, 'o', '1', 5_000)).toBe(true);
    expect((await store.results.get(lockKey))?.value).toBe('1');
  });

  it('with createTable adds the waits and results tables to an older version’s', async () => {
    const schema = freshSchema();
    await olderTables(schema);
    const store = backend({ schema });
    const lockKey = key('upgrade');
    granted(await store.acquire(lockKey, 'o', 5_000));
    expect(await store.results.put(lockKey, 'o', '2', 5_000)).toBe(true);
    expect(
      (await store.waits.publish({ id: 'w', holds: ['o'], keys: [lockKey] }, 5_000, 8))[0]?.[0]?.id,
    ).toBe('w');
  });
});
