import type { LeaseTableNames } from './postgres-names.js';

/**
 * Pieces of SQL shared by the statements and PL/pgSQL functions of the Postgres backend. Each is
 * code: the only text placed into them is column expressions, checked table names and the
 * constants below, never a key, owner or duration.
 */

/**
 * The `owner` of a lease row whose key is a semaphore: the row then holds the key's last fencing
 * token and, as `expires_at`, the latest expiry of its permits, so a mutex (or fair, or multi-key)
 * lease cannot take the key while permits are held. Reserved: the backend refuses it as an owner.
 */
export const SEMAPHORE_OWNER = 'nestjs-locker:semaphore';

/**
 * The `owner` of a lease row whose key is held by readers (read holds of a read-write lock): the
 * row then holds the key's last fencing token and, as `expires_at`, the latest expiry of its read
 * holds, so a plain, fair or multi-key lease (and a write hold) misses while any read hold lives,
 * with no extra cost on their statements. Freed as soon as the last read hold is released.
 * Reserved: the backend refuses it as an owner.
 */
export const READERS_OWNER = 'nestjs-locker:readers';

/**
 * NOTIFY payloads must stay under 8 000 bytes: a hand-off names its owner only up to this many
 * bytes, and a longer owner gets a plain wake-up (it then finds its lease by its next attempt).
 */
export const MAX_HANDOFF_OWNER_BYTES = 7_000;

/**
 * Deletes up to 1 000 rows of `table` whose `expires_at` has been past for at least `$1` ms,
 * skipping rows another session holds: the sweeps' one statement shape. `key` names the rows (the
 * table's primary-key columns).
 */
/** The most rows one sweep statement deletes, so that a sweep never holds many row locks at once. */
export const SWEEP_BATCH = 1_000;

export function deleteLongExpired(table: string, key: readonly string[]): string {
  const columns = key.join(', ');
  const row = key.length === 1 ? columns : `(${columns})`;
  return `DELETE FROM ${table} WHERE ${row} IN (
  SELECT ${columns} FROM ${table}
   WHERE expires_at <= clock_timestamp() - $1::float8 * interval '1 millisecond'
   LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED)`;
}

/** Epoch milliseconds of a timestamptz, as a double (whole ms). */
export const epochMs = (expression: string): string =>
  `floor(extract(epoch FROM ${expression}) * 1000)::float8`;

/**
 * Milliseconds until a timestamptz, never negative; NULL for a NULL timestamptz (such as the
 * `min()` of no rows: "unknown"). The CASE is needed: `greatest` ignores NULL arguments, so
 * `greatest(0, NULL)` is 0, which would say "retry at once" instead of "unknown".
 */
export const remainingMs = (expression: string): string =>
  `(CASE WHEN ${expression} IS NULL THEN NULL ELSE greatest(0, ceil(extract(epoch FROM ${expression} - clock_timestamp()) * 1000)) END)::float8`;

/** `ms` (a float8 expression) milliseconds after `from`. */
export const after = (from: string, ms: string): string =>
  `${from} + ${ms} * interval '1 millisecond'`;

/**
 * PL/pgSQL: locks the lease row of `key` into the record `into` (owner, token, expires_at),
 * creating it free (token 0: the next grant draws from the sequence) when the key has no row yet.
 * Every later statement of the function then sees every commit made before the lock was granted,
 * because a VOLATILE function takes a new snapshot per statement: the lease row is the key's lock.
 * `beforeCreating` (PL/pgSQL) runs when the key has no row, before one is made: it may RETURN.
 */
export function lockLeaseRow(
  names: LeaseTableNames,
  key: string,
  into: string,
  beforeCreating = '',
): string {
  return `LOOP
    SELECT l.owner, l.token, l.expires_at INTO ${into} FROM ${names.table} l
     WHERE l.key = ${key} FOR UPDATE;
    EXIT WHEN FOUND;${beforeCreating}
    INSERT INTO ${names.table} (key, owner, token, expires_at)
    VALUES (${key}, NULL, 0, clock_timestamp()) ON CONFLICT (key) DO NOTHING;
  END LOOP;`;
}

/**
 * The NOTIFY payload of a hand-off: `md5(key) token expiresAtMs owner` (the owner last, as it may
 * hold spaces), or the plain `md5(key)` of a release when the owner is too long for NOTIFY.
 */
export function handoffPayload(
  key: string,
  token: string,
  expiresAt: string,
  owner: string,
): string {
  return `CASE WHEN octet_length(${owner}) <= ${MAX_HANDOFF_OWNER_BYTES}
    THEN md5(${key}) || ' ' || ${token}::text || ' ' || ${epochMs(expiresAt)}::bigint::text || ' ' || ${owner}
    ELSE md5(${key}) END`;
}

/** Errors raised by the functions when a key is used with two shapes at once. */
export const HELD_AS_SEMAPHORE = `'nestjs-locker: key % is held as a semaphore; a key is used either as a mutex or as a semaphore, never both'`;
export const HELD_AS_MUTEX = `'nestjs-locker: key % is held as a mutex; a key is used either as a mutex or as a semaphore, never both'`;
