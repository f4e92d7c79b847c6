import { describe, expect, it } from '@jest/globals';
import { leaseSql } from '../../lib/backends/postgres/postgres.sql.js';
import { backendError } from '../../lib/backends/postgres/postgres-errors.js';
import { leaseResult } from '../../lib/backends/postgres/postgres-lease-result.js';
import { leaseTableNames } from '../../lib/backends/postgres/postgres-names.js';
import {
  float8,
  int8,
  nullable,
  statement,
  text,
} from '../../lib/backends/postgres/postgres-statement.js';
import {
  LockBackendError,
  type PgPoolLike,
  type PgQueryConfig,
  PostgresLockBackend,
} from '../../lib/index.js';

const inspect = statement({
  name: 'inspectSomething',
  text: 'SELECT owner, token::text AS token, 1::float8 AS ms FROM t WHERE key = $1::text',
  params: [text],
  rows: 'atMostOne',
  columns: { owner: text, token: int8, ms: nullable(float8) },
});

/** The error `check` throws for `rows`, placed on an acquire of "k" as the backend places it. */
function placedError(rows: readonly unknown[]): LockBackendError {
  let thrown: unknown;
  try {
    inspect.check(rows);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LockBackendError);
  const placed = backendError('acquire', 'k', thrown);
  expect(placed).toMatchObject({ backend: 'postgres', operation: 'acquire', key: 'k' });
  return placed;
}

/**
 * A pool that answers each statement (known by its prepared name) with the rows of `answers`, and
 * says the table is current, so the backend needs no server.
 */
function fakePool(answers: Record<string, readonly unknown[]>): PgPoolLike {
  return {
    async query<Row>(config: PgQueryConfig) {
      const statementName = config.name?.replace(/^nestjs_locker_[0-9a-f]+_/, '') ?? '';
      if (statementName === 'schemaCurrent') return { rows: [{ current: true }] as Row[] };
      return { rows: (answers[statementName] ?? []) as Row[] };
    },
    async end() {},
  };
}

describe('Postgres statements', () => {
  it('reads rows of the declared shape, with NULL where a column may be NULL', () => {
    const rows = inspect.check([{ owner: 'o', token: '42', ms: null, extra: 1 }]);
    expect(rows).toEqual([{ owner: 'o', token: '42', ms: null, extra: 1 }]);
  });

  it('refuses a row without a declared column, naming the statement and the column', () => {
    const error = placedError([{ owner: 'o', ms: 5 }]);
    expect(error.message).toContain('inspectSomething');
    expect(error.message).toContain('"token"');
  });

  it('refuses a column of the wrong type, naming the statement, the column and the type', () => {
    const error = placedError([{ owner: 'o', token: '42', ms: '1700000000000' }]);
    expect(error.message).toContain('inspectSomething');
    expect(error.message).toContain('"ms"');
    expect(error.message).toContain('float8');
    expect(placedError([{ owner: 'o', token: 'forty-two', ms: 1 }]).message).toContain('"token"');
    expect(placedError([{ owner: null, token: '42', ms: 1 }]).message).toContain('"owner"');
  });

  it('refuses more rows than the statement answers, and a row that is not a row', () => {
    const row = { owner: 'o', token: '42', ms: 1 };
    expect(placedError([row, row]).message).toContain('2 rows');
    expect(placedError([7]).message).toContain('inspectSomething');
  });

  it('refuses a statement that answers exactly one row answering none', () => {
    const isCurrent = statement({
      name: 'isCurrent',
      text: 'SELECT true AS current',
      params: [],
      rows: 'one',
      columns: {},
    });
    expect(() => isCurrent.check([])).toThrow(LockBackendError);
    expect(() => isCurrent.check([])).toThrow(/isCurrent/);
  });

  it('refuses a granted lease without its expiry instead of reading it as free or taken', () => {
    expect(leaseResult('fairAcquire', { token: '9', ms: 12 })).toEqual({
      acquired: true,
      fencingToken: 9n,
      expiresAt: 12,
    });
    expect(leaseResult('fairAcquire', { token: null, ms: null })).toEqual({
      acquired: false,
      retryAfterMs: undefined,
    });
    expect(() => leaseResult('fairAcquire', { token: '9', ms: null })).toThrow(/fairAcquire/);
  });

  it('declares every statement of the mutex with the columns the backend reads', () => {
    const sql = leaseSql(leaseTableNames(undefined, undefined));
    expect(() => sql.acquireOne.check([{ token: '1', ms: 5, semaphore: false }])).not.toThrow();
    expect(() => sql.acquireOne.check([{ token: 1, ms: 5, semaphore: false }])).toThrow(
      /acquireOne/,
    );
    expect(() => sql.extend.check([{ key: 'k', owner: 'o' }])).toThrow(/extend/);
  });
});

describe('PostgresLockBackend with a store that answers rows of the wrong shape', () => {
  const open = (answers: Record<string, readonly unknown[]>) =>
    new PostgresLockBackend({ pool: fakePool(answers), listen: false, sweepIntervalMs: 0 });

  it('rejects an acquire whose row is malformed, never reporting the key as taken', async () => {
    const backend = open({ acquireOne: [{ token: null, ms: 'soon', semaphore: false }] });
    const error = (await backend
      .acquire('k', 'o', 1_000)
      .catch((e: unknown) => e)) as LockBackendError;
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error).toMatchObject({ operation: 'acquire', key: 'k' });
    expect(error.message).toContain('acquireOne');
  });

  it('rejects a batch of acquires whose rows do not match their requests', async () => {
    const backend = open({ acquireMany: [{ i: 7, token: '1', ms: 5, semaphore: false }] });
    const results = await Promise.allSettled([
      backend.acquire('a', 'o', 1_000),
      backend.acquire('b', 'o', 1_000),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as LockBackendError;
      expect(reason).toBeInstanceOf(LockBackendError);
      expect(reason.message).toContain('acquireMany');
    }
  });

  it('rejects a capability call that got no row from its function', async () => {
    const backend = open({});
    const fair = backend.fair.acquire('k', 'o', 1_000, { ticketTtlMs: 500, join: true });
    await expect(fair).rejects.toThrow(/fairAcquire/);
    await expect(backend.semaphore.acquire('k', 'o', 1_000, 2)).rejects.toThrow(/semaphoreAcquire/);
    await expect(backend.multiKey.acquire(['k', 'l'], 'o', 1_000)).rejects.toThrow(/multiAcquire/);
    const read = backend.readWrite.acquire('k', 'o', 1_000, {
      mode: 'read',
      fair: false,
      ticketTtlMs: 500,
      join: true,
    });
    await expect(read).rejects.toThrow(/rwAcquire/);
    await expect(backend.readWrite.release('k', 'o')).rejects.toThrow(/rwRelease/);
  });

  it('rejects read-write answers of the wrong shape: extend rows and the readers of inspect', async () => {
    const backend = open({
      rwExtend: [{ key: 'k', owner: 'o', ms: 'later' }],
      inspect: [{ owner: 'nestjs-locker:readers', token: '3', ms: 5 }],
      rwInspect: [{ owner: 'o', token: '3', ms: 5, holders: 'two' }],
    });
    const error = (await backend.readWrite
      .extend([{ key: 'k', owner: 'o', ttlMs: 1_000 }])
      .catch((e: unknown) => e)) as LockBackendError;
    expect(error).toMatchObject({ operation: 'extend', key: 'k' });
    expect(error.message).toContain('rwExtend');
    await expect(backend.inspect('k')).rejects.toThrow(/rwInspect/);
  });

  it('fails an extend whose rows are malformed, lease by lease, and rejects when none was extended', async () => {
    const backend = open({ extend: [{ key: 'k', owner: 'o', ms: null }] });
    const error = (await backend
      .extend([{ key: 'k', owner: 'o', ttlMs: 1_000 }])
      .catch((e: unknown) => e)) as LockBackendError;
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error).toMatchObject({ operation: 'extend', key: 'k' });
    expect(error.message).toContain('extend');
  });

  it('rejects an inspect whose row is malformed instead of reporting the key free', async () => {
    const backend = open({ inspect: [{ owner: 'o', token: '3' }] });
    await expect(backend.inspect('k')).rejects.toThrow(/inspect/);
  });
});
