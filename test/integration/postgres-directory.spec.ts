import { describe, expect, it } from '@jest/globals';
import { LockBackendError, PostgresLockBackend } from '../../lib/index.js';
import { eventually, uniqueId } from '../support/async.js';
import { granted } from '../support/lease-results.js';
import { postgresSpecKit } from '../support/postgres-spec-kit.js';
import { testPort } from '../support/servers.js';

/** A port nothing listens on. */
const DEAD_URL = `postgres://postgres@127.0.0.1:${testPort(5449)}/postgres`;

const rw = { mode: 'read', fair: false, ticketTtlMs: 5_000, join: false } as const;

/** Keys at the edges of code point order: the last code point, astral ones, the last of the BMP. */
const EDGE_KEYS = ['w', 'x', 'xy', 'x\u{10FFFF}', 'x\u{10FFFF}y', 'x\uFFFF', 'x😀', 'y', '😀'];

describe('PostgresLockBackend directory', () => {
  const { admin, backend, freshSchema } = postgresSpecKit({ listen: false });

  const listedKeys = async (store: PostgresLockBackend, prefix: string): Promise<string[]> =>
    (await store.directory.list(prefix, 1_000)).leases.map((lease) => lease.key);

  it('lists under a prefix holding %, _ and \\ only its own keys, in every lease table', async () => {
    const store = backend();
    const base = `dir:${uniqueId()}:`;
    const prefix = `${base}50%_a\\b:`;
    const own = [`${prefix}mutex`, `${prefix}pool`, `${prefix}doc`];
    granted(await store.acquire(own[0]!, 'm', 10_000));
    granted(await store.semaphore.acquire(own[1]!, 's', 10_000, 2));
    granted(await store.readWrite.acquire(own[2]!, 'r', 10_000, rw));
    // Each would match the prefix read as a LIKE pattern.
    const decoys = [
      `${base}50%Xa\\b:1`,
      `${base}500000_a\\b:2`,
      `${base}50%_ab:3`,
      `${base}50%_a\\\\b:4`,
    ];
    for (const decoy of decoys) granted(await store.acquire(decoy, 'd', 10_000));
    granted(await store.semaphore.acquire(`${base}50%Xa\\b:pool`, 's', 10_000, 2));
    granted(await store.readWrite.acquire(`${base}500_a\\b:doc`, 'r', 10_000, rw));

    const listing = await store.directory.list(prefix, 100);
    expect(listing.leases.map((lease) => [lease.key, lease.kind])).toEqual([
      [`${prefix}doc`, 'read'],
      [`${prefix}mutex`, 'mutex'],
      [`${prefix}pool`, 'permit'],
    ]);
    expect((await listedKeys(store, base)).length).toBe(3 + decoys.length + 2);
  });

  it('lists the same keys whether the key columns sort in code point order or by a language', async () => {
    const plain = freshSchema();
    const icu = freshSchema();
    const stores: PostgresLockBackend[] = [];
    for (const schema of [plain, icu]) {
      await admin.query(PostgresLockBackend.createTableSql({ schema }));
      if (schema === icu) {
        for (const table of ['nestjs_locker', 'nestjs_locker_permits', 'nestjs_locker_readers']) {
          await admin.query(
            `ALTER TABLE "${schema}"."${table}" ALTER COLUMN key TYPE text COLLATE "und-x-icu"`,
          );
        }
      }
      const store = backend({ schema, createTable: false });
      for (const key of EDGE_KEYS) granted(await store.acquire(key, 'o', 10_000));
      stores.push(store);
    }
    const sorted = [...EDGE_KEYS].sort();
    for (const prefix of ['', 'x', 'x\u{10FFFF}', 'x\uFFFF', 'x😀', '😀', '\u{10FFFF}']) {
      const expected = sorted.filter((key) => key.startsWith(prefix));
      for (const store of stores) expect(await listedKeys(store, prefix)).toEqual(expected);
    }
    // A limit cuts in code point order in both.
    for (const store of stores) {
      const some = await store.directory.list('x', 2);
      expect(some.leases.map((lease) => lease.key)).toEqual(['x', 'xy']);
      expect(some.truncated).toBe(true);
    }
  });

  it('deletes the expired instance records of a prefix when an instance announces there', async () => {
    const store = backend();
    const prefix = `dir:${uniqueId()}:`;
    const stored = async (): Promise<string[]> =>
      (
        await admin.query<{ id: string }>(
          'SELECT id FROM nestjs_locker_instances WHERE prefix = $1 ORDER BY id',
          [prefix],
        )
      ).rows.map((row) => row.id);
    await store.directory.announce(prefix, 'keeper', '{}', 10_000);
    await store.directory.announce(prefix, 'gone', '{}', 1);
    await eventually(async () => (await store.directory.instances(prefix)).instances.length === 1);
    expect(await stored()).toEqual(['gone', 'keeper']);
    await store.directory.announce(prefix, 'live', '{}', 10_000);
    expect(await stored()).toEqual(['keeper', 'live']);
  });

  it('fails every directory call on an unreachable server with LockBackendError', async () => {
    const store = backend({ connectionString: DEAD_URL, commandTimeoutMs: 500 });
    for (const call of [
      store.directory.list('p:', 10),
      store.directory.announce('p:', 'a', '{}', 1_000),
      store.directory.withdraw('p:', 'a'),
      store.directory.instances('p:'),
    ]) {
      const error = (await call.catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.key).toBe('p:');
      expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
    }
  });

  it('on tables an older version made, lists leases, and says to run the DDL for instance records', async () => {
    const schema = freshSchema();
    const ddl = PostgresLockBackend.createTableSql({ schema });
    await admin.query(
      ddl.slice(0, ddl.indexOf(`CREATE TABLE IF NOT EXISTS "${schema}"."nestjs_locker_instances"`)),
    );
    const store = backend({ schema, createTable: false });
    granted(await store.acquire('old', 'o', 10_000));
    expect(await listedKeys(store, '')).toEqual(['old']);
    for (const call of [
      store.directory.announce('p:', 'a', '{}', 10_000),
      store.directory.instances('p:'),
      store.directory.withdraw('p:', 'a'),
    ]) {
      const error = (await call.catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.message).toContain('sql/nestjs-locker.sql');
    }
    await admin.query(ddl);
    await store.directory.announce('p:', 'a', '{}', 10_000);
    expect((await store.directory.instances('p:')).instances.map((record) => record.id)).toEqual([
      'a',
    ]);
  });
});
