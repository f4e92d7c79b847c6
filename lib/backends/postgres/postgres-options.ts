import { InvalidLockOptionsError } from '../../contract/errors.js';
import requirePeer from '../shared/require-peer.cjs';
import type { PgConnectionConfig, PgModuleLike } from './pg-client.js';

/** Checks of the options of `PostgresLockBackend`, and the `pg` settings derived from them. */

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
