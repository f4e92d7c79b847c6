/**
 * Writes `sql/nestjs-locker.sql`, the DDL shipped for databases where the application may not
 * create tables, from the code: a header for the DBA, then `PostgresLockBackend.createTableSql()`.
 * Run it with `npm run sql` after changing any DDL of the Postgres backend; a test checks that the
 * shipped file matches the code.
 *
 * Usage: `npm run sql` (or, once compiled, `node write-sql.js [path]`, default
 * `sql/nestjs-locker.sql` in the working directory).
 */
import { writeFileSync } from 'node:fs';
import { PostgresLockBackend } from '../lib/backends/postgres/postgres.backend.js';

/** For the DBA; every line a comment (the test comparing the file with the code skips them). */
const HEADER = `-- The lease table of nestjs-locker's PostgresLockBackend, with its default schema and table names,
-- and what fair locks, semaphores, multi-key and read-write locks add beside it: queues of waiters'
-- tickets, a table of semaphore permits, a table of read holds and the PL/pgSQL functions that
-- take, hand on and free those leases.
-- Run it once (psql -f sql/nestjs-locker.sql) where the application has no rights to create
-- tables, then start the backend with createTable: false; run it again after an upgrade (tables are
-- IF NOT EXISTS, functions CREATE OR REPLACE). The application's role then needs:
--   GRANT SELECT, INSERT, UPDATE, DELETE ON public.nestjs_locker, public.nestjs_locker_queue,
--     public.nestjs_locker_permits, public.nestjs_locker_readers, public.nestjs_locker_rw_queue,
--     public.nestjs_locker_waits, public.nestjs_locker_results, public.nestjs_locker_instances
--     TO app;
--   GRANT USAGE ON SEQUENCE public.nestjs_locker_fence TO app;
-- (functions run with the caller's rights; EXECUTE is granted to PUBLIC by default). With
-- createTable: true the application runs this itself at start, unless the table's comment already
-- names this version of it (the last statement); then it must own these objects.
-- For another schema or table, print the matching SQL with
-- PostgresLockBackend.createTableSql({ schema, table }).
--
-- key: the lock key (with its prefix); owner: the holder's secret token, NULL once released, or
-- 'nestjs-locker:semaphore' on a key in use as a semaphore, 'nestjs-locker:readers' on a key with
-- read holds; token: the fencing token;
-- expires_at: the lease's end, on the database clock.
`;

const path = process.argv[2] ?? 'sql/nestjs-locker.sql';
writeFileSync(path, `${HEADER}${PostgresLockBackend.createTableSql()}`);
process.stdout.write(`wrote ${path}\n`);
