import { createHash } from 'node:crypto';
import { InvalidLockOptionsError } from '../../contract/errors.js';

/** Lower-case SQL identifiers only: nothing that would need escaping, nothing that folds case. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Postgres keeps 63 bytes of a name; the table also names `<table>_fence`, 6 bytes longer. */
const MAX_SCHEMA_LENGTH = 63;
const MAX_TABLE_LENGTH = 57;
const MAX_NAME_LENGTH = 63;

export const DEFAULT_SCHEMA = 'public';
export const DEFAULT_TABLE = 'nestjs_locker';

/**
 * The names of one lease table, checked once and always double-quoted where SQL uses them. These
 * are the only values the backend places into SQL text; keys, owners and durations are always
 * query parameters.
 */
export interface LeaseTableNames {
  readonly schema: string;
  /** `"schema"."table"`. */
  readonly table: string;
  /** `"schema"."table_fence"`: the sequence fencing tokens are drawn from. */
  readonly fence: string;
  /** The NOTIFY channel releases are announced on (an identifier derived from schema and table). */
  readonly channel: string;
  /** A short digest of schema and table that keeps prepared statement names apart per table. */
  readonly id: string;
  /** `"schema"."table_queue"`: the tickets of fair leases' waiters. */
  readonly queue: string;
  /** The bare name of the queue's index in enqueue order (an index lives in its table's schema). */
  readonly queueOrder: string;
  /** `"schema"."table_permits"`: the permit slots of semaphore keys, free or held. */
  readonly permits: string;
  /** `"schema"."table_readers"`: the read holds of read-write keys, one row per (key, owner). */
  readonly readers: string;
  /** `"schema"."table_rw_queue"`: the tickets of read-write waiters, with the mode each waits for. */
  readonly rwQueue: string;
  /** The bare name of the read-write queue's index in enqueue order. */
  readonly rwQueueOrder: string;
  /** `"schema"."table_waits"`: the waits-for graph, one row per wait of a chain that holds locks. */
  readonly waits: string;
  /** The bare name of the GIN index of the waits by the owner tokens of their holds. */
  readonly waitsHolds: string;
  /** `"schema"."table_results"`: the outcomes of shared runs, one row per key. */
  readonly results: string;
  /** `"schema"."table_instances"`: the records of running instances, one row per (prefix, id). */
  readonly instances: string;
  /**
   * `"schema"."table_advisory"`: the holders of advisory-mode locks (`PostgresAdvisoryLockBackend`),
   * one row per key, unlogged: the lock itself is the session's advisory lock.
   */
  readonly advisory: string;
  /** The PL/pgSQL functions of the lease shapes and of the waits-for graph, qualified. */
  readonly fairAcquire: string;
  readonly fairRelease: string;
  readonly semaphoreAcquire: string;
  readonly semaphoreExtend: string;
  readonly multiAcquire: string;
  readonly rwAcquire: string;
  readonly rwExtend: string;
  readonly rwRelease: string;
  readonly waitCycles: string;
}

/**
 * Checks `schema` and `table` and derives every name the backend uses from them.
 *
 * @throws InvalidLockOptionsError when either is not a lower-case identifier of allowed length.
 */
export function leaseTableNames(schema: unknown, table: unknown): LeaseTableNames {
  const schemaName = identifier('schema', schema ?? DEFAULT_SCHEMA, MAX_SCHEMA_LENGTH);
  const tableName = identifier('table', table ?? DEFAULT_TABLE, MAX_TABLE_LENGTH);
  const id = createHash('sha256').update(`${schemaName}.${tableName}`).digest('hex').slice(0, 16);
  const qualified = (suffix: string): string =>
    `"${schemaName}"."${derivedName(tableName, id, suffix)}"`;
  return {
    schema: `"${schemaName}"`,
    table: `"${schemaName}"."${tableName}"`,
    fence: `"${schemaName}"."${tableName}_fence"`,
    channel: `nestjs_locker_${id}`,
    id,
    queue: qualified('queue'),
    queueOrder: `"${derivedName(tableName, id, 'queue_order')}"`,
    permits: qualified('permits'),
    fairAcquire: qualified('fair_acquire'),
    fairRelease: qualified('fair_release'),
    semaphoreAcquire: qualified('semaphore_acquire'),
    semaphoreExtend: qualified('semaphore_extend'),
    multiAcquire: qualified('multi_acquire'),
    readers: qualified('readers'),
    rwQueue: qualified('rw_queue'),
    rwQueueOrder: `"${derivedName(tableName, id, 'rw_queue_order')}"`,
    rwAcquire: qualified('rw_acquire'),
    rwExtend: qualified('rw_extend'),
    rwRelease: qualified('rw_release'),
    waits: qualified('waits'),
    waitsHolds: `"${derivedName(tableName, id, 'waits_holds')}"`,
    results: qualified('results'),
    instances: qualified('instances'),
    advisory: qualified('advisory'),
    waitCycles: qualified('wait_cycles'),
  };
}

/**
 * `<table>_<suffix>`, or, when that is longer than Postgres keeps (which would silently cut it and
 * could make two names equal), the table name shortened and made unique again by the digest.
 */
function derivedName(table: string, id: string, suffix: string): string {
  const plain = `${table}_${suffix}`;
  if (plain.length <= MAX_NAME_LENGTH) return plain;
  return `${table.slice(0, MAX_NAME_LENGTH - suffix.length - 10)}_${id.slice(0, 8)}_${suffix}`;
}

function identifier(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new InvalidLockOptionsError(
      field,
      `must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), got ${JSON.stringify(value)}`,
    );
  }
  if (value.length > maxLength) {
    throw new InvalidLockOptionsError(
      field,
      `must be at most ${maxLength} characters long, got ${value.length}`,
    );
  }
  return value;
}
