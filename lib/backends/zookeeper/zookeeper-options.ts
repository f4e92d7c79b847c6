import { InvalidLockOptionsError } from '../../contract/errors.js';
import type { ZkClientLike } from './zookeeper-client.js';

/** The options of `ZooKeeperLockBackend`, and their checks. */

interface CommonOptions {
  /**
   * The znode under which every key gets its parent znode: an absolute path such as
   * `/nestjs-locker` (the default), inside the connection string's chroot if it has one. Created
   * when missing (its own parent must then exist or be creatable).
   */
  rootPath?: string;
  /**
   * Fail a ZooKeeper call that has not answered after this many ms with a `LockBackendError`
   * (its outcome is then unknown). Default 3 000. While the client is disconnected its calls wait
   * for a server, so this bounds a partition or a lost quorum too.
   */
  commandTimeoutMs?: number;
}

/** Options of `ZooKeeperLockBackend`: a connection string, or a client you own. */
export type ZooKeeperLockBackendOptions = CommonOptions &
  (
    | {
        /**
         * `host:port[,host:port...][/chroot]`, such as `127.0.0.1:2181,127.0.0.1:2182/locks`.
         * The chroot znode must exist.
         */
        connectionString: string;
        /**
         * The session timeout asked of the servers, in ms (they clamp it to their
         * `minSessionTimeout`..`maxSessionTimeout`, by default 2..20 ticks: 4 s..40 s). A holder
         * whose process dies or is cut off loses its locks this long after its last heartbeat,
         * even before their ttl; so it is also the longest ttl a lock may have here
         * (`maxTtlMs`). Default 30 000, the module's default ttl; a dead holder's locks are
         * freed by their ttl in any case.
         */
        sessionTimeoutMs?: number;
      }
    | {
        /**
         * A `node-zookeeper-client` client (from `createClient`), connected or not. It stays
         * yours: `close()` does not close it. When its session expires the backend cannot open
         * another one: every call then fails until you pass a new client to a new backend.
         */
        client: ZkClientLike;
      }
  );

const DEFAULT_ROOT_PATH = '/nestjs-locker';
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
/** ZooKeeper's limit of a session timeout is the servers'; below 100 ms no ensemble runs. */
const MIN_SESSION_TIMEOUT_MS = 100;

/** The checked options. */
export interface ZooKeeperSettings {
  readonly rootPath: string;
  readonly commandTimeoutMs: number;
  /** The connection string when the backend opens its own sessions. */
  readonly connectionString: string | undefined;
  readonly sessionTimeoutMs: number;
  /** The client passed in, which the backend never closes nor replaces. */
  readonly client: ZkClientLike | undefined;
}

/**
 * Checks `options`.
 *
 * @throws InvalidLockOptionsError naming the first option that is wrong.
 * @example
 * ```ts
 * const settings = zooKeeperSettings({ connectionString: '127.0.0.1:2181/locks' });
 * ```
 */
export function zooKeeperSettings(options: ZooKeeperLockBackendOptions): ZooKeeperSettings {
  if (!options || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      'options',
      'ZooKeeperLockBackend needs { connectionString } or { client }',
    );
  }
  const rootPath = checkRootPath(options.rootPath);
  const commandTimeoutMs = wholeMs(
    'commandTimeoutMs',
    options.commandTimeoutMs,
    DEFAULT_COMMAND_TIMEOUT_MS,
    1,
  );
  if ('client' in options && options.client !== undefined) {
    const client = options.client;
    if (
      !client ||
      typeof client.create !== 'function' ||
      typeof client.getChildren !== 'function'
    ) {
      throw new InvalidLockOptionsError(
        'client',
        'must be a node-zookeeper-client Client (createClient(...))',
      );
    }
    return {
      rootPath,
      commandTimeoutMs,
      connectionString: undefined,
      sessionTimeoutMs: client.getSessionTimeout(),
      client,
    };
  }
  const connection = options as { connectionString?: unknown; sessionTimeoutMs?: unknown };
  const connectionString = checkConnectionString(connection.connectionString);
  const sessionTimeoutMs = wholeMs(
    'sessionTimeoutMs',
    connection.sessionTimeoutMs,
    DEFAULT_SESSION_TIMEOUT_MS,
    MIN_SESSION_TIMEOUT_MS,
  );
  return { rootPath, commandTimeoutMs, connectionString, sessionTimeoutMs, client: undefined };
}

function wholeMs(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new InvalidLockOptionsError(
      field,
      `must be a whole number of ms from ${min} to 2147483647, got ${String(value)}`,
    );
  }
  return value;
}

/** One `host:port` of a connection string; the port is required (no silent 2181). */
const SERVER = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

function checkConnectionString(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidLockOptionsError(
      'connectionString',
      `must be "host:port[,host:port...][/chroot]", got ${String(value)}`,
    );
  }
  const slash = value.indexOf('/');
  const servers = slash === -1 ? value : value.slice(0, slash);
  for (const server of servers.split(',')) {
    const port = Number(server.slice(server.lastIndexOf(':') + 1));
    if (!SERVER.test(server) || port < 1 || port > 65_535) {
      throw new InvalidLockOptionsError(
        'connectionString',
        `"${server}" is not host:port (in "${value}")`,
      );
    }
  }
  if (slash !== -1) {
    const chroot = value.slice(slash);
    if (chroot !== '/') checkPath('connectionString', chroot, 'its chroot');
  }
  return value;
}

function checkRootPath(value: unknown): string {
  if (value === undefined) return DEFAULT_ROOT_PATH;
  if (typeof value !== 'string') {
    throw new InvalidLockOptionsError(
      'rootPath',
      `must be a znode path string, got ${String(value)}`,
    );
  }
  checkPath('rootPath', value, 'it');
  return value;
}

/** An absolute znode path, not the root itself, without empty, `.` or `..` parts. */
function checkPath(field: string, path: string, what: string): void {
  const parts = path.split('/').slice(1);
  if (
    !path.startsWith('/') ||
    parts.length === 0 ||
    parts[0] === 'zookeeper' ||
    parts.some((part) => part === '' || part === '.' || part === '..') ||
    [...path].some(refusedByZooKeeper)
  ) {
    throw new InvalidLockOptionsError(
      field,
      `${what} must be an absolute znode path such as "/locks" (no empty, "." or ".." parts, not /zookeeper), got "${path}"`,
    );
  }
}

/** The characters ZooKeeper refuses in a path (its `PathUtils.validatePath`). */
function refusedByZooKeeper(char: string): boolean {
  const code = char.charCodeAt(0);
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xf8ff) ||
    code >= 0xfff0
  );
}
