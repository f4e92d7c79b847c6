-- The lease table of nestjs-locker's PostgresLockBackend, with its default schema and table names.
-- Run it once (psql -f sql/nestjs-locker.sql) where the application has no rights to create
-- tables, then start the backend with createTable: false. The application's role then needs:
--   GRANT SELECT, INSERT, UPDATE, DELETE ON public.nestjs_locker TO app;
--   GRANT USAGE ON SEQUENCE public.nestjs_locker_fence TO app;
-- For another schema or table, print the matching SQL with
-- PostgresLockBackend.createTableSql({ schema, table }).
--
-- key: the lock key (with its prefix); owner: the holder's secret token, NULL once released;
-- token: the fencing token; expires_at: the lease's end, on the database clock.
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker" (
  key text PRIMARY KEY,
  owner text,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
) WITH (fillfactor = 80);
CREATE SEQUENCE IF NOT EXISTS "public"."nestjs_locker_fence";
