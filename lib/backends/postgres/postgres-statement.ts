/**
 * Runs one SQL statement of the backend as `name` (a prepared statement when the backend prepares
 * them) and resolves with its rows. The shapes' classes get one from the backend, which owns the
 * pool, the timeouts and the error mapping.
 */
export type RunStatement = <Row>(
  name: string,
  text: string,
  values: readonly unknown[],
) => Promise<Row[]>;

/** A granted lease or a miss, as the shapes' functions return them. */
export interface LeaseRow {
  readonly token: string | null;
  readonly ms: number | null;
}
