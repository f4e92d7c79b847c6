/**
 * The parts of node-postgres (`pg`) this backend uses, typed structurally so that any `pg` 8
 * `Pool` fits and `pg` stays an optional peer dependency.
 */

/** A query as `pg` takes it; with `name` it runs as a prepared statement on each connection. */
export interface PgQueryConfig {
  readonly text: string;
  readonly values?: readonly unknown[];
  readonly name?: string;
}

/** The part of a `pg` result the backend reads. */
export interface PgResultLike<Row> {
  readonly rows: Row[];
}

/** A `pg.Pool` (or anything with the same `query` and `end`). */
export interface PgPoolLike {
  query<Row>(config: PgQueryConfig): Promise<PgResultLike<Row>>;
  end(): Promise<void>;
}

/** The connection settings `pg` understands (`host`, `port`, `user`, `password`, `ssl`, `max` ...). */
export type PgConnectionConfig = { readonly [setting: string]: unknown };

/** A single `pg.Client`: the dedicated connection that LISTENs for releases. */
export interface PgListenClientLike {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/**
 * A single `pg.Client` that runs statements: the session that holds advisory-mode locks
 * (`PostgresAdvisoryLockBackend`).
 */
export interface PgSessionClientLike {
  connect(): Promise<unknown>;
  query<Row>(config: PgQueryConfig): Promise<PgResultLike<Row>>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** The constructors of the `pg` module. */
export interface PgModuleLike {
  Pool: new (
    config: PgConnectionConfig,
  ) => PgPoolLike & {
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
  Client: new (config: PgConnectionConfig) => PgListenClientLike & PgSessionClientLike;
}
