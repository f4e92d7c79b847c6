import { createHash } from 'node:crypto';
import { InvalidLockOptionsError } from '../../core/errors.js';

/** Lower-case SQL identifiers only: nothing that would need escaping, nothing that folds case. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Postgres keeps 63 bytes of a name; the table also names `<table>_fence`, 6 bytes longer. */
const MAX_SCHEMA_LENGTH = 63;
const MAX_TABLE_LENGTH = 57;

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
  return {
    schema: `"${schemaName}"`,
    table: `"${schemaName}"."${tableName}"`,
    fence: `"${schemaName}"."${tableName}_fence"`,
    channel: `nestjs_locker_${id}`,
    id,
  };
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
