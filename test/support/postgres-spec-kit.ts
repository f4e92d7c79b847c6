import { afterAll, afterEach } from '@jest/globals';
import pg from 'pg';
import { PostgresLockBackend, type PostgresLockBackendOptions } from '../../lib/index.js';
import { uniqueId } from './async.js';
import { PG_URL } from './servers.js';

/**
 * What the Postgres specs share: an admin pool, backends on the test server closed after each
 * test, and schemas of their own dropped after the file.
 */
export function postgresSpecKit(defaults: Partial<PostgresLockBackendOptions> = {}) {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const cleanups: (() => Promise<unknown>)[] = [];
  const schemas: string[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  return {
    admin,
    /** Run after the current test, last first. */
    cleanups,
    /** Schemas dropped after the file. */
    schemas,
    /** A backend on the test server, closed after the test. */
    backend(options: Partial<PostgresLockBackendOptions> = {}): PostgresLockBackend {
      const created = new PostgresLockBackend({
        connectionString: PG_URL,
        ...defaults,
        ...options,
      } as PostgresLockBackendOptions);
      cleanups.push(() => created.close());
      return created;
    },
    /** A schema name of its own, dropped after the file. */
    freshSchema(): string {
      const schema = `locker_${uniqueId().replace(/[^a-z0-9]/g, '_')}`;
      schemas.push(schema);
      return schema;
    },
  };
}
