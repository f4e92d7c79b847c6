import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { LockBackendError, PostgresLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { PG_URL } from '../support/servers.js';

/** Postgres text cannot hold NUL: a value the database refuses (SQLSTATE 22021), for one item. */
const REFUSED_OWNER = 'owner-with-\u0000-inside';
const TTL_MS = 30_000;

describe('PostgresLockBackend same-tick batches, item by item', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const schemas: string[] = [];
  const backends: PostgresLockBackend[] = [];
  const open = (): PostgresLockBackend => {
    const schema = `batches_${uniqueId().replace(/-/g, '_')}`;
    schemas.push(schema);
    const backend = new PostgresLockBackend({ connectionString: PG_URL, schema });
    backends.push(backend);
    return backend;
  };

  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('fails only the acquire and the release whose values the database refuses, not the rest of their batch', async () => {
    const backend = open();
    await backend.inspect('warm-up');
    const acquired = await Promise.allSettled([
      backend.acquire('a', 'owner-a', TTL_MS),
      backend.acquire('refused', REFUSED_OWNER, TTL_MS),
      backend.acquire('b', 'owner-b', TTL_MS),
    ]);
    expect(acquired[0]).toMatchObject({ status: 'fulfilled', value: { acquired: true } });
    expect(acquired[1]).toMatchObject({ status: 'rejected' });
    expect((acquired[1] as PromiseRejectedResult).reason).toBeInstanceOf(LockBackendError);
    expect((acquired[1] as PromiseRejectedResult).reason.key).toBe('refused');
    expect(acquired[2]).toMatchObject({ status: 'fulfilled', value: { acquired: true } });
    expect((await backend.inspect('a'))?.owner).toBe('owner-a');
    expect(await backend.inspect('refused')).toBeNull();

    const released = await Promise.allSettled([
      backend.release('a', 'owner-a'),
      backend.release('refused', REFUSED_OWNER),
      backend.release('b', 'owner-b'),
    ]);
    expect(released[0]).toEqual({ status: 'fulfilled', value: true });
    expect((released[1] as PromiseRejectedResult).reason).toBeInstanceOf(LockBackendError);
    expect(released[2]).toEqual({ status: 'fulfilled', value: true });
  });

  it('extends the other leases of a batch when the database refuses one lease’s values', async () => {
    const backend = open();
    for (const key of ['a', 'b']) await backend.acquire(key, `owner-${key}`, TTL_MS);
    const before = Date.now();
    const results = await backend.extend([
      { key: 'a', owner: 'owner-a', ttlMs: 60_000 },
      { key: 'refused', owner: REFUSED_OWNER, ttlMs: 60_000 },
      { key: 'b', owner: 'owner-b', ttlMs: 60_000 },
    ]);
    expect(results[0]).toBeGreaterThan(before + 45_000);
    expect(results[1]).toBeInstanceOf(LockBackendError);
    expect(results[2]).toBeGreaterThan(before + 45_000);
  });

  it('extends plain leases when the statement of another kind of lease fails', async () => {
    const backend = open();
    const schema = schemas.at(-1)!;
    await backend.acquire('plain', 'owner-p', TTL_MS);
    await backend.semaphore.acquire('permits', 'owner-s', TTL_MS, 2);
    // The semaphores' table is gone (a DDL of an older version, or an operator's mistake).
    await admin.query(`DROP TABLE "${schema}"."nestjs_locker_permits" CASCADE`);
    const before = Date.now();
    const [semaphoreExtend, plainExtend] = await Promise.allSettled([
      backend.semaphore.extend([{ key: 'permits', owner: 'owner-s', ttlMs: 60_000 }]),
      backend.extend([{ key: 'plain', owner: 'owner-p', ttlMs: 60_000 }]),
    ]);
    expect(semaphoreExtend.status === 'rejected' && semaphoreExtend.reason).toBeInstanceOf(
      LockBackendError,
    );
    expect(plainExtend.status === 'fulfilled' && plainExtend.value[0]).toBeGreaterThan(
      before + 45_000,
    );
  });
});
