-- The lease table of nestjs-locker's PostgresLockBackend, with its default schema and table names,
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
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker" (
  key text PRIMARY KEY,
  owner text,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
) WITH (fillfactor = 80);
CREATE SEQUENCE IF NOT EXISTS "public"."nestjs_locker_fence";
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_queue" (
  key text NOT NULL,
  owner text NOT NULL,
  seq bigint NOT NULL,
  ttl_ms float8 NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE INDEX IF NOT EXISTS "nestjs_locker_queue_order" ON "public"."nestjs_locker_queue" (key, seq);
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_fair_acquire"(
  p_key text, p_owner text, p_ttl_ms float8, p_ticket_ttl_ms float8, p_join boolean,
  p_channel text, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  head record;
  t_now timestamptz;
  t_token bigint;
  t_expires timestamptz;
BEGIN
  LOOP
    SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
    VALUES (p_key, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;
  t_now := clock_timestamp();
  IF cur.owner IS NOT NULL AND cur.expires_at > t_now THEN
    IF cur.owner = 'nestjs-locker:semaphore' THEN
      RAISE EXCEPTION 'nestjs-locker: key % is held as a semaphore; a key is used either as a mutex or as a semaphore, never both', p_key;
    END IF;
    IF cur.owner = p_owner THEN
      -- Already held (also when it was handed this lease): refresh, same token.
      t_expires := t_now + p_ttl_ms * interval '1 millisecond';
      UPDATE "public"."nestjs_locker" SET expires_at = t_expires WHERE key = p_key;
      DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = p_owner;
      out_token := cur.token;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN;
    END IF;
    IF p_join THEN
      UPDATE "public"."nestjs_locker_queue" SET ttl_ms = p_ttl_ms, expires_at = t_now + p_ticket_ttl_ms * interval '1 millisecond'
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now;
    IF NOT FOUND THEN
      INSERT INTO "public"."nestjs_locker_queue" (key, owner, seq, ttl_ms, expires_at)
      VALUES (p_key, p_owner, nextval('"public"."nestjs_locker_fence"'), p_ttl_ms, t_now + p_ticket_ttl_ms * interval '1 millisecond')
      ON CONFLICT (key, owner) DO UPDATE
        SET seq = excluded.seq, ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at;
    END IF;
    ELSE
      DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = p_owner;
    END IF;
    out_ms := (CASE WHEN cur.expires_at IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM cur.expires_at - clock_timestamp()) * 1000)) END)::float8;
    RETURN;
  END IF;
  DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND expires_at <= t_now;
    SELECT q.owner, q.ttl_ms INTO head FROM "public"."nestjs_locker_queue" q WHERE q.key = p_key ORDER BY q.seq LIMIT 1;
  IF head.owner IS NULL OR head.owner = p_owner THEN
    t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
    t_expires := t_now + p_ttl_ms * interval '1 millisecond';
    UPDATE "public"."nestjs_locker" SET owner = p_owner, token = t_token, expires_at = t_expires WHERE key = p_key;
    DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = p_owner;
    out_token := t_token;
    out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
    RETURN;
  END IF;
  -- Free, but someone queued first: the lease is theirs, not this caller's.
  t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
      t_expires := t_now + head.ttl_ms * interval '1 millisecond';
      UPDATE "public"."nestjs_locker" SET owner = head.owner, token = t_token, expires_at = t_expires
       WHERE key = p_key;
      DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = head.owner;
      PERFORM pg_notify(p_channel, CASE WHEN octet_length(head.owner) <= 7000
    THEN md5(p_key) || ' ' || t_token::text || ' ' || floor(extract(epoch FROM t_expires) * 1000)::float8::bigint::text || ' ' || head.owner
    ELSE md5(p_key) END);
  IF p_join THEN
    UPDATE "public"."nestjs_locker_queue" SET ttl_ms = p_ttl_ms, expires_at = t_now + p_ticket_ttl_ms * interval '1 millisecond'
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now;
    IF NOT FOUND THEN
      INSERT INTO "public"."nestjs_locker_queue" (key, owner, seq, ttl_ms, expires_at)
      VALUES (p_key, p_owner, nextval('"public"."nestjs_locker_fence"'), p_ttl_ms, t_now + p_ticket_ttl_ms * interval '1 millisecond')
      ON CONFLICT (key, owner) DO UPDATE
        SET seq = excluded.seq, ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at;
    END IF;
  ELSE
    DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = p_owner;
  END IF;
  out_ms := head.ttl_ms;
END
$fn$;
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_fair_release"(
  p_key text, p_owner text, p_channel text, OUT out_released boolean
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  head record;
  t_now timestamptz;
  t_token bigint;
  t_expires timestamptz;
BEGIN
  out_released := false;
  LOOP
    SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key FOR UPDATE;
    EXIT WHEN FOUND;
    -- No lease row: nothing to release, and nobody to hand to unless someone queued.
    IF NOT EXISTS (SELECT FROM "public"."nestjs_locker_queue" WHERE key = p_key) THEN
      RETURN;
    END IF;
    INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
    VALUES (p_key, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;
  t_now := clock_timestamp();
  out_released := cur.owner IS NOT DISTINCT FROM p_owner AND cur.expires_at > t_now;
  DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = p_owner;
  IF out_released OR cur.owner IS NULL OR cur.expires_at <= t_now THEN
    DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND expires_at <= t_now;
    SELECT q.owner, q.ttl_ms INTO head FROM "public"."nestjs_locker_queue" q WHERE q.key = p_key ORDER BY q.seq LIMIT 1;
    IF head.owner IS NOT NULL THEN
      t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
      t_expires := t_now + head.ttl_ms * interval '1 millisecond';
      UPDATE "public"."nestjs_locker" SET owner = head.owner, token = t_token, expires_at = t_expires
       WHERE key = p_key;
      DELETE FROM "public"."nestjs_locker_queue" WHERE key = p_key AND owner = head.owner;
      PERFORM pg_notify(p_channel, CASE WHEN octet_length(head.owner) <= 7000
    THEN md5(p_key) || ' ' || t_token::text || ' ' || floor(extract(epoch FROM t_expires) * 1000)::float8::bigint::text || ' ' || head.owner
    ELSE md5(p_key) END);
      RETURN;
    END IF;
  END IF;
  IF out_released THEN
    UPDATE "public"."nestjs_locker" SET owner = NULL, expires_at = t_now WHERE key = p_key;
    PERFORM pg_notify(p_channel, md5(p_key));
  END IF;
END
$fn$;
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_permits" (
  key text NOT NULL,
  slot integer NOT NULL,
  owner text,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, slot)
);
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_semaphore_acquire"(
  p_key text, p_owner text, p_ttl_ms float8, p_permits integer,
  OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz := clock_timestamp();
  t_expires timestamptz := clock_timestamp() + p_ttl_ms * interval '1 millisecond';
  t_slot integer;
  t_token bigint;
BEGIN
  -- Already holding a permit: refresh it, same token.
  UPDATE "public"."nestjs_locker_permits" SET expires_at = t_expires
   WHERE key = p_key AND owner = p_owner AND expires_at > t_now
  RETURNING token, slot INTO t_token, t_slot;
  IF t_slot IS NULL THEN
    -- The key's slots, made on first use (and again if a sweep took some).
    IF (SELECT count(*) FROM "public"."nestjs_locker_permits" WHERE key = p_key AND slot < p_permits) < p_permits THEN
      INSERT INTO "public"."nestjs_locker_permits" (key, slot, owner, token, expires_at)
      SELECT p_key, s, NULL, 0, t_now FROM generate_series(0, p_permits - 1) AS s
      ON CONFLICT (key, slot) DO NOTHING;
    END IF;
    SELECT p.slot INTO t_slot FROM "public"."nestjs_locker_permits" p
     WHERE p.key = p_key AND p.slot < p_permits
       AND (p.owner IS NULL OR p.expires_at <= clock_timestamp())
     ORDER BY p.slot LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF t_slot IS NULL THEN
      SELECT (CASE WHEN min(p.expires_at) IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM min(p.expires_at) - clock_timestamp()) * 1000)) END)::float8 INTO out_ms FROM "public"."nestjs_locker_permits" p
       WHERE p.key = p_key AND p.slot < p_permits AND p.owner IS NOT NULL
         AND p.expires_at > clock_timestamp();
      RETURN;
    END IF;
  END IF;
  SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key;
    IF cur.owner IS DISTINCT FROM 'nestjs-locker:semaphore' OR cur.expires_at < t_expires THEN
      LOOP
    SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
    VALUES (p_key, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;
      IF cur.owner IS NOT NULL AND cur.owner <> 'nestjs-locker:semaphore'
         AND cur.expires_at > clock_timestamp() THEN
        RAISE EXCEPTION 'nestjs-locker: key % is held as a mutex; a key is used either as a mutex or as a semaphore, never both', p_key;
      END IF;
      IF cur.owner IS DISTINCT FROM 'nestjs-locker:semaphore' OR cur.expires_at < t_expires THEN
        UPDATE "public"."nestjs_locker"
           SET owner = 'nestjs-locker:semaphore',
               expires_at = t_expires + p_ttl_ms * interval '1 millisecond'
         WHERE key = p_key;
      END IF;
    END IF;
  IF t_token IS NULL THEN
    t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
    UPDATE "public"."nestjs_locker_permits" SET owner = p_owner, token = t_token, expires_at = t_expires
     WHERE key = p_key AND slot = t_slot;
  END IF;
  out_token := t_token;
  out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
END
$fn$;
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_semaphore_extend"(
  p_keys text[], p_owners text[], p_ttls_ms float8[]
) RETURNS TABLE (out_key text, out_owner text, out_ms float8) LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  cur record;
  p_key text;
  p_ttl_ms float8;
  t_expires timestamptz;
BEGIN
  -- In key order, as every statement of the backend locks lease rows.
  FOR r IN SELECT * FROM unnest(p_keys, p_owners, p_ttls_ms) AS x(key, owner, ttl_ms) ORDER BY x.key
  LOOP
    p_key := r.key;
    p_ttl_ms := r.ttl_ms;
    t_expires := clock_timestamp() + r.ttl_ms * interval '1 millisecond';
    UPDATE "public"."nestjs_locker_permits" SET expires_at = t_expires
     WHERE key = r.key AND owner = r.owner AND expires_at > clock_timestamp();
    IF FOUND THEN
      SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key;
    IF cur.owner IS DISTINCT FROM 'nestjs-locker:semaphore' OR cur.expires_at < t_expires THEN
      LOOP
    SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
    VALUES (p_key, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;
      IF cur.owner IS NOT NULL AND cur.owner <> 'nestjs-locker:semaphore'
         AND cur.expires_at > clock_timestamp() THEN
        RAISE EXCEPTION 'nestjs-locker: key % is held as a mutex; a key is used either as a mutex or as a semaphore, never both', p_key;
      END IF;
      IF cur.owner IS DISTINCT FROM 'nestjs-locker:semaphore' OR cur.expires_at < t_expires THEN
        UPDATE "public"."nestjs_locker"
           SET owner = 'nestjs-locker:semaphore',
               expires_at = t_expires + p_ttl_ms * interval '1 millisecond'
         WHERE key = p_key;
      END IF;
    END IF;
      out_key := r.key;
      out_owner := r.owner;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_multi_acquire"(
  p_keys text[], p_owner text, p_ttl_ms float8, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  cur record;
  t_created text[] := '{}';
  t_busy_ms float8;
  t_mine boolean := true;
  t_token bigint;
  t_top bigint := 0;
  t_expires timestamptz;
BEGIN
  -- Rows in key order, as every statement of the backend locks them: no deadlock between callers.
  FOR k IN SELECT DISTINCT x FROM unnest(p_keys) AS x ORDER BY x LOOP
    LOOP
      SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l WHERE l.key = k FOR UPDATE;
      EXIT WHEN FOUND;
      INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
      VALUES (k, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
      IF FOUND THEN
        t_created := t_created || k;
      END IF;
    END LOOP;
    t_top := greatest(t_top, cur.token);
    IF cur.owner IS NOT NULL AND cur.expires_at > clock_timestamp() THEN
      IF cur.owner = 'nestjs-locker:semaphore' THEN
        RAISE EXCEPTION 'nestjs-locker: key % is held as a semaphore; a key is used either as a mutex or as a semaphore, never both', k;
      END IF;
      IF cur.owner = p_owner THEN
        -- Held by this owner: the same lease only if every key carries the same token.
        IF t_token IS NULL THEN
          t_token := cur.token;
        ELSIF t_token <> cur.token THEN
          t_mine := false;
        END IF;
      ELSE
        t_busy_ms := greatest(coalesce(t_busy_ms, 0), (CASE WHEN cur.expires_at IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM cur.expires_at - clock_timestamp()) * 1000)) END)::float8);
      END IF;
    ELSE
      t_mine := false;
    END IF;
  END LOOP;
  IF t_busy_ms IS NOT NULL THEN
    -- None taken: the rows this call created go again, so a miss leaves nothing behind.
    DELETE FROM "public"."nestjs_locker" WHERE key = ANY (t_created);
    out_ms := t_busy_ms;
    RETURN;
  END IF;
  IF NOT t_mine OR t_token IS NULL THEN
    t_token := greatest(t_top + 1, nextval('"public"."nestjs_locker_fence"'));
  END IF;
  t_expires := clock_timestamp() + p_ttl_ms * interval '1 millisecond';
  UPDATE "public"."nestjs_locker" SET owner = p_owner, token = t_token, expires_at = t_expires
   WHERE key = ANY (p_keys);
  out_token := t_token;
  out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
END
$fn$;
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_readers" (
  key text NOT NULL,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_rw_queue" (
  key text NOT NULL,
  owner text NOT NULL,
  seq bigint NOT NULL,
  mode text NOT NULL CHECK (mode IN ('read', 'write')),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key, owner)
);
CREATE INDEX IF NOT EXISTS "nestjs_locker_rw_queue_order" ON "public"."nestjs_locker_rw_queue" (key, seq);
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_rw_acquire"(
  p_key text, p_owner text, p_ttl_ms float8, p_mode text, p_fair boolean,
  p_ticket_ttl_ms float8, p_join boolean, OUT out_token bigint, OUT out_ms float8
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz;
  t_live boolean;
  t_seq bigint;
  t_token bigint;
  t_expires timestamptz;
  t_slots_locked boolean := false;
BEGIN
  IF EXISTS (SELECT FROM "public"."nestjs_locker" l WHERE l.key = p_key
       AND l.owner = 'nestjs-locker:semaphore' AND l.expires_at > clock_timestamp()) THEN
    INSERT INTO "public"."nestjs_locker_permits" (key, slot, owner, token, expires_at)
    SELECT p_key, s, NULL, 0, clock_timestamp()
      FROM generate_series(0, coalesce((SELECT max(p.slot) FROM "public"."nestjs_locker_permits" p WHERE p.key = p_key), -1) + 1) AS s
    ON CONFLICT (key, slot) DO NOTHING;
    PERFORM FROM "public"."nestjs_locker_permits" p WHERE p.key = p_key ORDER BY p.slot FOR UPDATE;
    t_slots_locked := true;
  END IF;
  LOOP
    SELECT l.owner, l.token, l.expires_at INTO cur FROM "public"."nestjs_locker" l
     WHERE l.key = p_key FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO "public"."nestjs_locker" (key, owner, token, expires_at)
    VALUES (p_key, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;
  t_now := clock_timestamp();
  t_expires := t_now + p_ttl_ms * interval '1 millisecond';
  -- A live lease on the row: a write hold (any other owner) or the readers' marker.
  t_live := cur.owner IS NOT NULL AND cur.expires_at > t_now;
  IF t_live AND cur.owner = 'nestjs-locker:semaphore' THEN
    IF NOT t_slots_locked OR EXISTS (SELECT FROM "public"."nestjs_locker_permits" p WHERE p.key = p_key
        AND p.owner IS NOT NULL AND p.expires_at > t_now) THEN
      RAISE EXCEPTION 'nestjs-locker: key % is held as a semaphore; a key is used either as a mutex or as a semaphore, never both', p_key;
    END IF;
    -- Every permit is over: the marker is free to take.
    t_live := false;
  END IF;
  IF p_mode = 'write' THEN
    IF t_live AND cur.owner = p_owner THEN
      -- Already holding: refresh, same token.
      UPDATE "public"."nestjs_locker" SET expires_at = t_expires WHERE key = p_key;
      t_token := cur.token;
      DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
      out_token := t_token;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN;
    END IF;
    IF t_live AND (cur.owner <> 'nestjs-locker:readers' OR EXISTS (
        SELECT FROM "public"."nestjs_locker_readers" r WHERE r.key = p_key AND r.expires_at > t_now)) THEN
      out_ms := (CASE WHEN cur.expires_at IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM cur.expires_at - clock_timestamp()) * 1000)) END)::float8;
    ELSE
      DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND expires_at <= t_now;
      SELECT q.seq INTO t_seq FROM "public"."nestjs_locker_rw_queue" q WHERE q.key = p_key AND q.owner = p_owner;
      IF NOT EXISTS (SELECT FROM "public"."nestjs_locker_rw_queue" q
       WHERE q.key = p_key AND q.owner <> p_owner AND (t_seq IS NULL OR q.seq < t_seq)
         AND (p_fair OR q.mode = 'read')) THEN
        t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
        UPDATE "public"."nestjs_locker" SET owner = p_owner, token = t_token, expires_at = t_expires
         WHERE key = p_key;
        -- Every read hold of the key is over: their rows go.
        DELETE FROM "public"."nestjs_locker_readers" WHERE key = p_key;
        DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
      out_token := t_token;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN;
      END IF;
    END IF;
  ELSE
    UPDATE "public"."nestjs_locker_readers" SET expires_at = t_expires
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now
    RETURNING token INTO t_token;
    IF FOUND THEN
      -- Already holding: refresh, same token; the marker follows the latest read hold.
      UPDATE "public"."nestjs_locker" SET expires_at = (SELECT max(r.expires_at) FROM "public"."nestjs_locker_readers" r
                                         WHERE r.key = p_key AND r.expires_at > t_now)
       WHERE key = p_key;
      DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
      out_token := t_token;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN;
    END IF;
    IF t_live AND cur.owner <> 'nestjs-locker:readers' THEN
      out_ms := (CASE WHEN cur.expires_at IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM cur.expires_at - clock_timestamp()) * 1000)) END)::float8;
    ELSE
      DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND expires_at <= t_now;
      SELECT q.seq INTO t_seq FROM "public"."nestjs_locker_rw_queue" q WHERE q.key = p_key AND q.owner = p_owner;
      IF NOT EXISTS (SELECT FROM "public"."nestjs_locker_rw_queue" q
       WHERE q.key = p_key AND q.owner <> p_owner AND (t_seq IS NULL OR q.seq < t_seq)
         AND (q.mode = 'write')) THEN
        t_token := greatest(cur.token + 1, nextval('"public"."nestjs_locker_fence"'));
        INSERT INTO "public"."nestjs_locker_readers" (key, owner, token, expires_at)
        VALUES (p_key, p_owner, t_token, t_expires)
        ON CONFLICT (key, owner) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at;
        UPDATE "public"."nestjs_locker"
           SET owner = 'nestjs-locker:readers', token = t_token,
               expires_at = CASE WHEN t_live THEN greatest(cur.expires_at, t_expires) ELSE t_expires END
         WHERE key = p_key;
        DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
      out_token := t_token;
      out_ms := floor(extract(epoch FROM t_expires) * 1000)::float8;
      RETURN;
      END IF;
      -- A writer waits ahead: for the read holds, when there are any.
      IF t_live THEN
        out_ms := (CASE WHEN cur.expires_at IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM cur.expires_at - clock_timestamp()) * 1000)) END)::float8;
      END IF;
    END IF;
  END IF;
  IF p_join THEN
    UPDATE "public"."nestjs_locker_rw_queue" SET mode = p_mode, expires_at = t_now + p_ticket_ttl_ms * interval '1 millisecond'
     WHERE key = p_key AND owner = p_owner AND expires_at > t_now;
    IF NOT FOUND THEN
      INSERT INTO "public"."nestjs_locker_rw_queue" (key, owner, seq, mode, expires_at)
      VALUES (p_key, p_owner, nextval('"public"."nestjs_locker_fence"'), p_mode, t_now + p_ticket_ttl_ms * interval '1 millisecond')
      ON CONFLICT (key, owner) DO UPDATE
        SET seq = excluded.seq, mode = excluded.mode, expires_at = excluded.expires_at;
    END IF;
  ELSE
    DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
  END IF;
END
$fn$;
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_rw_extend"(
  p_keys text[], p_owners text[], p_ttls_ms float8[]
) RETURNS TABLE (out_key text, out_owner text, out_ms float8) LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  r record;
  t_latest timestamptz;
BEGIN
  -- Key by key in key order, as every statement of the backend locks lease rows. A live read
  -- hold implies a live marker, so a key whose row is no live marker has none to extend.
  FOR k IN SELECT DISTINCT x FROM unnest(p_keys) AS x ORDER BY x LOOP
    PERFORM FROM "public"."nestjs_locker" l
     WHERE l.key = k AND l.owner = 'nestjs-locker:readers' AND l.expires_at > clock_timestamp()
       FOR UPDATE;
    CONTINUE WHEN NOT FOUND;
    t_latest := NULL;
    FOR r IN
      UPDATE "public"."nestjs_locker_readers" AS h SET expires_at = clock_timestamp() + req.ttl_ms * interval '1 millisecond'
        FROM unnest(p_keys, p_owners, p_ttls_ms) AS req(key, owner, ttl_ms)
       WHERE req.key = k AND h.key = k AND h.owner = req.owner
         AND h.expires_at > clock_timestamp()
      RETURNING h.owner, h.expires_at
    LOOP
      t_latest := greatest(t_latest, r.expires_at);
      out_key := k;
      out_owner := r.owner;
      out_ms := floor(extract(epoch FROM r.expires_at) * 1000)::float8;
      RETURN NEXT;
    END LOOP;
    IF t_latest IS NOT NULL THEN
      UPDATE "public"."nestjs_locker" SET expires_at = greatest(expires_at, t_latest) WHERE key = k;
    END IF;
  END LOOP;
END
$fn$;
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_rw_release"(
  p_key text, p_owner text, p_channel text, OUT out_released boolean
) LANGUAGE plpgsql AS $fn$
DECLARE
  cur record;
  t_now timestamptz;
  t_wake boolean := false;
  t_latest timestamptz;
BEGIN
  SELECT l.owner, l.expires_at INTO cur FROM "public"."nestjs_locker" l WHERE l.key = p_key FOR UPDATE;
  t_now := clock_timestamp();
  out_released := false;
  IF cur.owner = p_owner AND cur.expires_at > t_now THEN
    -- The write hold.
    UPDATE "public"."nestjs_locker" SET owner = NULL, expires_at = t_now WHERE key = p_key;
    out_released := true;
    t_wake := true;
  ELSIF cur.owner = 'nestjs-locker:readers' AND cur.expires_at > t_now THEN
    DELETE FROM "public"."nestjs_locker_readers" WHERE key = p_key AND owner = p_owner
    RETURNING expires_at > t_now INTO out_released;
    out_released := coalesce(out_released, false);
    IF out_released THEN
      SELECT max(r.expires_at) INTO t_latest FROM "public"."nestjs_locker_readers" r
       WHERE r.key = p_key AND r.expires_at > t_now;
      IF t_latest IS NULL THEN
        -- The last read hold: the key is free at once.
        UPDATE "public"."nestjs_locker" SET owner = NULL, expires_at = t_now WHERE key = p_key;
        t_wake := true;
      ELSE
        UPDATE "public"."nestjs_locker" SET expires_at = t_latest WHERE key = p_key;
      END IF;
    END IF;
  END IF;
  DELETE FROM "public"."nestjs_locker_rw_queue" WHERE key = p_key AND owner = p_owner;
  IF FOUND THEN
    t_wake := true;
  END IF;
  IF t_wake THEN
    PERFORM pg_notify(p_channel, md5(p_key));
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
END
$fn$;
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_waits" (
  id text PRIMARY KEY,
  holds text[] NOT NULL,
  keys text[] NOT NULL,
  since timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS "nestjs_locker_waits_holds" ON "public"."nestjs_locker_waits" USING gin (holds);
CREATE OR REPLACE FUNCTION "public"."nestjs_locker_wait_cycles"(
  p_id text, p_holds text[], p_keys text[], p_since timestamptz, p_now timestamptz,
  p_max_length int
) RETURNS TABLE (out_cycle int, out_position int, out_id text, out_keys text[], out_since float8)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  -- The path from the record (which is not on it) to the wait last taken from the stack, and the
  -- stack of waits still to try: each with the path length it makes and whether it closes a cycle.
  t_path text[] := ARRAY[]::text[];
  t_stack text[] := ARRAY[]::text[];
  t_depths int[] := ARRAY[]::int[];
  t_closing boolean[] := ARRAY[]::boolean[];
  t_keys text[] := p_keys;
  t_depth int := 0;
  t_top int;
  t_next text[];
  t_next_closing boolean[];
  t_expanded int := 0;
  t_edges int := 0;
  t_cycles int := 0;
BEGIN
  IF p_max_length < 1 THEN
    RETURN;
  END IF;
  IF (EXISTS (
        SELECT FROM "public"."nestjs_locker" l
         WHERE l.key = ANY (p_keys) AND l.owner = ANY (p_holds) AND l.expires_at > p_now
           AND l.owner NOT IN ('nestjs-locker:semaphore', 'nestjs-locker:readers'))
      OR EXISTS (
        SELECT FROM "public"."nestjs_locker_readers" r
         WHERE r.key = ANY (p_keys) AND r.owner = ANY (p_holds) AND r.expires_at > p_now)) THEN
    t_cycles := 1;
    RETURN QUERY SELECT 1, 0, p_id, p_keys, floor(extract(epoch FROM p_since) * 1000)::float8;
  END IF;
  LOOP
    -- Expands the current wait (the record at depth 0) when a wait one step further still makes
    -- a cycle of at most p_max_length waits: the live waits whose chains hold a lease on a key it
    -- waits for, each marked when the record's chain holds a key that one waits for.
    IF t_depth + 2 <= p_max_length THEN
      t_expanded := t_expanded + 1;
      EXIT WHEN t_expanded > 200;
      WITH owners AS (
        SELECT l.owner FROM "public"."nestjs_locker" l
         WHERE l.key = ANY (t_keys) AND l.expires_at > p_now
           AND l.owner NOT IN ('nestjs-locker:semaphore', 'nestjs-locker:readers')
        UNION
        SELECT r.owner FROM "public"."nestjs_locker_readers" r
         WHERE r.key = ANY (t_keys) AND r.expires_at > p_now)
      SELECT coalesce(array_agg(n.id ORDER BY n.since DESC, n.id DESC), ARRAY[]::text[]),
             coalesce(array_agg(n.closing ORDER BY n.since DESC, n.id DESC), ARRAY[]::boolean[])
        INTO t_next, t_next_closing
        FROM (SELECT w.id, w.since, (EXISTS (
        SELECT FROM "public"."nestjs_locker" l
         WHERE l.key = ANY (w.keys) AND l.owner = ANY (p_holds) AND l.expires_at > p_now
           AND l.owner NOT IN ('nestjs-locker:semaphore', 'nestjs-locker:readers'))
      OR EXISTS (
        SELECT FROM "public"."nestjs_locker_readers" r
         WHERE r.key = ANY (w.keys) AND r.owner = ANY (p_holds) AND r.expires_at > p_now)) AS closing
                FROM "public"."nestjs_locker_waits" w
               WHERE w.holds && (SELECT array_agg(o.owner) FROM owners o)
                 AND w.expires_at > p_now AND w.id <> p_id AND w.id <> ALL (t_path)) n;
      t_edges := t_edges + cardinality(t_next);
      EXIT WHEN t_edges > 2000;
      -- Pushed latest first, so the earliest wait is tried first.
      t_stack := t_stack || t_next;
      t_closing := t_closing || t_next_closing;
      t_depths := t_depths || array_fill(t_depth + 1, ARRAY[cardinality(t_next)]);
    END IF;
    t_top := cardinality(t_stack);
    EXIT WHEN t_top = 0;
    t_depth := t_depths[t_top];
    -- Pushed while the path was t_path[1:t_depth - 1], so not on it.
    t_path := t_path[1:t_depth - 1] || t_stack[t_top];
    IF t_closing[t_top] THEN
      t_cycles := t_cycles + 1;
      RETURN QUERY
        SELECT t_cycles, 0, p_id, p_keys, floor(extract(epoch FROM p_since) * 1000)::float8
        UNION ALL
        SELECT t_cycles, p.pos::int, w.id, w.keys, floor(extract(epoch FROM w.since) * 1000)::float8
          FROM unnest(t_path) WITH ORDINALITY AS p(id, pos)
          JOIN "public"."nestjs_locker_waits" w ON w.id = p.id;
      EXIT WHEN t_cycles >= 32;
    END IF;
    t_stack := t_stack[1:t_top - 1];
    t_closing := t_closing[1:t_top - 1];
    t_depths := t_depths[1:t_top - 1];
    IF t_depth + 2 <= p_max_length THEN
      SELECT w.keys INTO t_keys FROM "public"."nestjs_locker_waits" w WHERE w.id = t_path[t_depth];
    END IF;
  END LOOP;
END
$fn$;
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_results" (
  key text PRIMARY KEY,
  value text NOT NULL,
  stored_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS "public"."nestjs_locker_instances" (
  prefix text NOT NULL,
  id text NOT NULL,
  payload text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (prefix, id)
);
CREATE UNLOGGED TABLE IF NOT EXISTS "public"."nestjs_locker_advisory" (
  key text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  pid integer NOT NULL,
  expires_at timestamptz NOT NULL
);
COMMENT ON TABLE "public"."nestjs_locker" IS 'nestjs-locker schema e4b6077288663aa3';
