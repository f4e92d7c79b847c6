import { InvalidLockOptionsError, refuseUnknownOptions } from '../../contract/errors.js';
import requirePeer from '../shared/require-peer.cjs';
import type {
  PgConnectionConfig,
  PgListenClientLike,
  PgModuleLike,
  PgPoolLike,
} from './pg-client.js';
import { type LeaseTableNames, leaseTableNames } from './postgres-names.js';

/** The options of `PostgresLockBackend`, their checks, and the connections made from them. */

interface CommonOptions {
  /** The schema of the lease table: a lower-case SQL identifier. Default `public`. */
  schema?: string;
  /** The lease table: a lower-case SQL identifier of at most 57 characters. Default `nestjs_locker`. */
  table?: string;
  /**
   * Create the schema, table and fence sequence on first use if they are missing (`IF NOT EXISTS`,
   * serialised across processes). Default `true`. Set `false` where the app has no DDL rights and
   * create them beforehand with `sql/nestjs-locker.sql` or `PostgresLockBackend.createTableSql()`.
   */
  createTable?: boolean;
  /**
   * Wake waiters through `LISTEN/NOTIFY` on one dedicated connection. `true` (default) opens it with
   * the backend's own connection settings (or the given pool's); a URL or `pg` settings open it
   * elsewhere, such as directly to the server when the pool goes through a transaction-pooling
   * proxy, which cannot carry LISTEN. `false`: waiters poll with jittered backoff.
   */
  listen?: boolean | string | PgConnectionConfig;
  /**
   * Run statements as named prepared statements (parsed once per connection). Default `true`. Set
   * `false` behind a transaction-pooling proxy that does not track prepared statements (PgBouncer
   * before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
  /**
   * Fail a database call that has not answered after this many ms with a `LockBackendError`
   * (its outcome is then unknown). Default 3 000.
   */
  commandTimeoutMs?: number;
  /**
   * Every this many ms, delete the rows that have been free (released or expired) for at least as
   * long, 1 000 per statement and up to 60 000 per sweep. Default 60 000; `0` never sweeps.
   * Fencing tokens do not depend on kept rows.
   */
  sweepIntervalMs?: number;
}

/** Options of `PostgresLockBackend`: a pool you own, or settings for one it owns. */
export type PostgresLockBackendOptions = CommonOptions &
  (
    | {
        /** A `pg.Pool`. It stays yours: `close()` does not end it. */
        pool: PgPoolLike;
      }
    | {
        /** `postgres://user:password@host:port/database`. */
        connectionString: string;
        /** More `pg.Pool` settings for the pool the backend opens (`max`, `ssl` ...). */
        connection?: PgConnectionConfig;
      }
    | {
        /** `pg.Pool` settings for the pool the backend opens. */
        connection: PgConnectionConfig;
      }
  );

/** Every option of both Postgres backends: any other key is a mistake worth stopping at. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'pool',
  'connectionString',
  'connection',
  'schema',
  'table',
  'createTable',
  'listen',
  'preparedStatements',
  'commandTimeoutMs',
  'sweepIntervalMs',
]);

/**
 * Refuses a key that is no option, and `mode` with where the advisory locks are: a separate
 * class, not a setting of this one.
 *
 * @throws InvalidLockOptionsError naming the key.
 */
function refuseUnknownPostgresOptions(options: object): void {
  if ('mode' in options) {
    throw new InvalidLockOptionsError(
      'mode',
      'is not an option: the advisory mode is its own backend, new PostgresAdvisoryLockBackend({ connectionString }); PostgresLockBackend keeps durable leases',
    );
  }
  refuseUnknownOptions(options, KNOWN_OPTIONS, 'the Postgres backends');
}

const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** The checked options, with the pool and the opener of the LISTEN connection. */
export interface PostgresSettings {
  readonly names: LeaseTableNames;
  readonly pool: PgPoolLike;
  /** Whether the backend opened the pool (and ends it on close). */
  readonly ownsPool: boolean;
  readonly createTable: boolean;
  readonly prepared: boolean;
  /** The command timeout in ms. */
  readonly commandTimeoutMs: number;
  /** Bound each statement by this many ms; `undefined` when `pg` bounds them (the backend's pool). */
  readonly timeoutMs: number | undefined;
  readonly sweepIntervalMs: number;
  /** Opens the LISTEN connection; `undefined` with `listen: false`. */
  readonly openListenClient: (() => PgListenClientLike) | undefined;
  /**
   * The settings of the pool's connections (`undefined` for a pool that does not expose them), for
   * a dedicated connection opened with the same settings.
   */
  readonly connectionConfig: PgConnectionConfig | undefined;
}

/**
 * Checks `options` (the table's names first) and opens the pool unless one is given.
 *
 * @throws InvalidLockOptionsError naming the first option that is wrong.
 * @example
 * ```ts
 * const settings = postgresSettings({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export function postgresSettings(options: PostgresLockBackendOptions): PostgresSettings {
  if (!options || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      'options',
      'PostgresLockBackend needs { pool }, { connectionString } or { connection }',
    );
  }
  refuseUnknownPostgresOptions(options);
  const names = leaseTableNames(options.schema, options.table);
  const createTable = flag('createTable', options.createTable, true);
  const prepared = flag('preparedStatements', options.preparedStatements, true);
  const commandTimeoutMs = wholeMs(
    'commandTimeoutMs',
    options.commandTimeoutMs,
    DEFAULT_COMMAND_TIMEOUT_MS,
    1,
  );
  const sweepIntervalMs = wholeMs(
    'sweepIntervalMs',
    options.sweepIntervalMs,
    DEFAULT_SWEEP_INTERVAL_MS,
    0,
  );
  const listen = options.listen ?? true;
  if (
    typeof listen !== 'boolean' &&
    typeof listen !== 'string' &&
    (typeof listen !== 'object' || listen === null)
  ) {
    throw new InvalidLockOptionsError(
      'listen',
      'must be true, false, a connection URL or pg connection settings',
    );
  }

  let pool: PgPoolLike;
  let ownsPool: boolean;
  let timeoutMs: number | undefined;
  let listenConfig: PgConnectionConfig | undefined;
  if ('pool' in options) {
    pool = options.pool;
    if (!pool || typeof pool.query !== 'function' || typeof pool.end !== 'function') {
      throw new InvalidLockOptionsError('pool', 'must be a pg Pool (new pg.Pool(...))');
    }
    ownsPool = false;
    timeoutMs = commandTimeoutMs;
    listenConfig = (pool as { options?: PgConnectionConfig }).options;
  } else {
    const config = poolConfig(options, commandTimeoutMs);
    const ownPool = new (loadPg().Pool)(config);
    // An idle pooled connection that dies (server restart) is replaced on next use; its 'error'
    // event needs a listener or it would crash the process.
    ownPool.on('error', () => undefined);
    pool = ownPool;
    ownsPool = true;
    // pg's own query_timeout and connectionTimeoutMillis bound every call of our own pool.
    timeoutMs = undefined;
    listenConfig = config;
  }

  let openListenClient: (() => PgListenClientLike) | undefined;
  if (listen !== false) {
    const config = listenClientConfig(listen, listenConfig, commandTimeoutMs);
    const Client = loadPg().Client;
    openListenClient = () => new Client(config);
  }
  return {
    names,
    pool,
    ownsPool,
    createTable,
    prepared,
    commandTimeoutMs,
    timeoutMs,
    sweepIntervalMs,
    openListenClient,
    connectionConfig: listenConfig,
  };
}

export function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidLockOptionsError(field, `must be true or false, got ${String(value)}`);
  }
  return value;
}

export function wholeMs(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new InvalidLockOptionsError(
      field,
      `must be a whole number of ms from ${min} to 2147483647, got ${String(value)}`,
    );
  }
  return value;
}

/** The settings of the backend's own pool; the user's settings win over the timeouts it adds. */
export function poolConfig(
  options: { connectionString?: unknown; connection?: PgConnectionConfig },
  timeoutMs: number,
): PgConnectionConfig {
  if ('connectionString' in options && typeof options.connectionString !== 'string') {
    throw new InvalidLockOptionsError('connectionString', 'must be a postgres:// URL string');
  }
  if (
    options.connection !== undefined &&
    (typeof options.connection !== 'object' || options.connection === null)
  ) {
    throw new InvalidLockOptionsError('connection', 'must be pg.Pool settings (an object)');
  }
  return {
    query_timeout: timeoutMs,
    connectionTimeoutMillis: timeoutMs,
    ...options.connection,
    ...(options.connectionString === undefined
      ? {}
      : { connectionString: options.connectionString }),
  };
}

/** The settings of the LISTEN connection: a single client, never a pool. */
export function listenClientConfig(
  listen: true | string | PgConnectionConfig,
  fallback: PgConnectionConfig | undefined,
  timeoutMs: number,
): PgConnectionConfig {
  let config: PgConnectionConfig;
  if (typeof listen === 'string') config = { connectionString: listen };
  else if (listen !== true) config = listen;
  else if (fallback) config = fallback;
  else {
    throw new InvalidLockOptionsError(
      'listen',
      'the pool does not expose its connection settings; pass listen: a connection URL, pg settings, or false',
    );
  }
  return { connectionTimeoutMillis: timeoutMs, ...config, keepAlive: true };
}

let pgModule: PgModuleLike | undefined;

/** `pg` is loaded only when the backend opens connections itself. */
export function loadPg(): PgModuleLike {
  if (!pgModule) {
    try {
      pgModule = requirePeer('pg') as PgModuleLike;
    } catch (error) {
      throw new InvalidLockOptionsError(
        'connectionString',
        `PostgresLockBackend needs the "pg" package to open connections: npm install pg (${String(error)})`,
      );
    }
  }
  return pgModule;
}
