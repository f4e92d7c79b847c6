import type { LockBackendError } from '../../contract/errors.js';
import { backendProblem } from './postgres-errors.js';

/**
 * A SQL type as the backend exchanges it with `pg`: what JavaScript value it stands for, and how
 * to recognise one in a row. Bigints travel as `text` (`token::text`), so no precision is lost.
 */
export interface SqlType<T> {
  /** The SQL name, for error messages. */
  readonly name: string;
  is(value: unknown): value is T;
}

const sqlType = <T>(name: string, is: (value: unknown) => value is T): SqlType<T> => ({
  name,
  is,
});

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number';
const isArrayOf =
  <T>(item: (value: unknown) => value is T) =>
  (value: unknown): value is readonly T[] =>
    Array.isArray(value) && value.every(item);

/** The SQL types of parameters and columns: `params: [text, float8]`, `columns: { ms: float8 }`. */
export const text = sqlType('text', isString);
/** A bigint, sent as its decimal text (`token::text`): JavaScript numbers would round it. */
export const int8 = sqlType(
  'bigint as text',
  (value: unknown): value is string => typeof value === 'string' && /^-?\d+$/.test(value),
);
export const float8 = sqlType('float8', isNumber);
export const int4 = sqlType(
  'integer',
  (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value),
);
export const bool = sqlType(
  'boolean',
  (value: unknown): value is boolean => value === true || value === false,
);
/** Arrays, as parameters of the batched statements (`unnest($1::text[], ...)`). */
export const textArray = sqlType('text[]', isArrayOf(isString));
export const float8Array = sqlType('float8[]', isArrayOf(isNumber));

/** `type`, or SQL NULL. */
export function nullable<T>(type: SqlType<T>): SqlType<T | null> {
  return sqlType(
    `${type.name} or NULL`,
    (value: unknown): value is T | null => value === null || type.is(value),
  );
}

type ValuesOf<Params extends readonly SqlType<unknown>[]> = {
  readonly [I in keyof Params]: Params[I] extends SqlType<infer T> ? T : never;
};

type Columns = { readonly [column: string]: SqlType<unknown> };

type RowOf<C extends Columns> = {
  readonly [K in keyof C]: C[K] extends SqlType<infer T> ? T : never;
};

/** How many rows a statement answers: exactly one, none or one, or any number. */
export type RowCount = 'one' | 'atMostOne' | 'any';

/**
 * One SQL statement of the backend: its text, the types of its parameters (`$1`, `$2` ... in
 * order) and of the columns of its rows. The backend checks every row against the columns before
 * anyone reads it, so a row of the wrong shape is a `LockBackendError` naming the statement,
 * never a lease misread as free or taken.
 */
export interface Statement<Values extends readonly unknown[], Row> {
  /** Names the prepared statement (per table) and the statement in errors. */
  readonly name: string;
  readonly text: string;
  /** Phantom: the parameters' values, for type checking only. */
  readonly values?: Values;
  /** The rows of an answer, checked; a `LockBackendError` naming the statement otherwise. */
  check(rows: readonly unknown[]): Row[];
}

/**
 * Declares a statement.
 *
 * @example
 * ```ts
 * const inspect = statement({
 *   name: 'inspect',
 *   text: 'SELECT owner, token::text AS token FROM locks WHERE key = $1::text',
 *   params: [text],
 *   rows: 'atMostOne',
 *   columns: { owner: text, token: text },
 * });
 * const rows = await context.run(inspect, [key]); // rows: { owner: string; token: string }[]
 * ```
 */
export function statement<
  const Params extends readonly SqlType<unknown>[],
  C extends Columns,
>(spec: {
  readonly name: string;
  readonly text: string;
  readonly params: Params;
  readonly rows: RowCount;
  readonly columns: C;
}): Statement<ValuesOf<Params>, RowOf<C>> {
  const { name, text, rows: count, columns } = spec;
  return {
    name,
    text,
    check(rows) {
      if (count === 'one' && rows.length !== 1) {
        throw malformedReply(name, `${rows.length} rows instead of one`);
      }
      if (count === 'atMostOne' && rows.length > 1) {
        throw malformedReply(name, `${rows.length} rows instead of at most one`);
      }
      return rows.map((row, index) => checkRow(name, columns, row, index));
    },
  };
}

/**
 * An answer of statement `name` that the backend cannot read, as a `LockBackendError` naming the
 * statement (placed on the operation and key by the context's error wrapping).
 *
 * @example
 * ```ts
 * if (rows.length !== keys.length) throw malformedReply('multiExtend', `${rows.length} rows`);
 * ```
 */
export function malformedReply(name: string, problem: string): LockBackendError {
  return backendProblem(
    `read the answer of statement "${name}"`,
    `statement "${name}" answered ${problem}`,
  );
}

function checkRow<C extends Columns>(
  name: string,
  columns: C,
  row: unknown,
  index: number,
): RowOf<C> {
  if (typeof row !== 'object' || row === null) {
    throw malformedReply(name, `row ${index + 1} as ${describe(row)} instead of a row`);
  }
  for (const [column, type] of Object.entries(columns)) {
    if (!Object.hasOwn(row, column)) {
      throw malformedReply(name, `row ${index + 1} without its column "${column}"`);
    }
    const value: unknown = Reflect.get(row, column);
    if (!type.is(value)) {
      throw malformedReply(
        name,
        `row ${index + 1} with ${describe(value)} in column "${column}" instead of ${type.name}`,
      );
    }
  }
  // Every column of C was checked above to hold a value of its type.
  return row as RowOf<C>;
}

function describe(value: unknown): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${typeof value === 'object' ? '' : String(value)}`.trim();
}
