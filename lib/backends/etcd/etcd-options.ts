import { InvalidLockOptionsError } from '../../contract/errors.js';
import type { EtcdClientLike } from './etcd-client.js';
import { passThrough, tryEachMember } from './etcd-fault-policy.js';
import { loadEtcd3 } from './load-etcd3.js';

/** The options of `EtcdLockBackend`, their checks, and the client made from them. */

interface CommonOptions {
  /**
   * Prepended to every lock key in etcd (a waiter's or holder's record is
   * `<prefix><key>\0<owner>`). Default `nestjs-locker/`. Give each application its own prefix
   * when several share a cluster, and grant its user read-write on that prefix only.
   */
  prefix?: string;
  /**
   * Fail an etcd call that has not answered after this many ms with a `LockBackendError` (its
   * outcome is then unknown). Every call also carries it as its gRPC deadline. Default 3 000.
   */
  commandTimeoutMs?: number;
}

/** TLS material for the client the backend opens (passed to `etcd3` as `credentials`). */
export interface EtcdTlsCredentials {
  readonly rootCertificate: Buffer;
  readonly privateKey?: Buffer;
  readonly certChain?: Buffer;
}

/** Options of `EtcdLockBackend`: a client you own, or endpoints for one it owns. */
export type EtcdLockBackendOptions = CommonOptions &
  (
    | {
        /** An `Etcd3` client of the `etcd3` package. It stays yours: `close()` does not close it. */
        client: EtcdClientLike;
      }
    | {
        /** The members' client URLs, `http://host:2379` (`https://` for TLS). */
        endpoints: string | readonly string[];
        /** User name and password, when etcd has authentication on. */
        auth?: { readonly username: string; readonly password: string };
        /** TLS material (a private CA, client certificates); `https://` endpoints alone use the system CAs. */
        credentials?: EtcdTlsCredentials;
        /** More `etcd3` options (`grpcOptions`, `dialTimeout` ...), passed through as they are. */
        connection?: Readonly<Record<string, unknown>>;
      }
  );

const DEFAULT_PREFIX = 'nestjs-locker/';
const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;

/** The checked options, with the client. */
export interface EtcdSettings {
  readonly client: EtcdClientLike;
  /** Whether the backend opened the client (and closes it). */
  readonly ownsClient: boolean;
  readonly prefix: string;
  readonly commandTimeoutMs: number;
}

/**
 * Checks `options` and opens the client unless one is given.
 *
 * @throws InvalidLockOptionsError naming the first option that is wrong.
 * @example
 * ```ts
 * const settings = etcdSettings({ endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'] });
 * ```
 */
export function etcdSettings(options: EtcdLockBackendOptions): EtcdSettings {
  if (!options || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      'options',
      'EtcdLockBackend needs { endpoints } or { client }',
    );
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.includes('\0')) {
    throw new InvalidLockOptionsError(
      'prefix',
      `must be a non-empty string without the NUL character, got ${JSON.stringify(prefix)}`,
    );
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (
    typeof commandTimeoutMs !== 'number' ||
    !Number.isInteger(commandTimeoutMs) ||
    commandTimeoutMs < 1 ||
    commandTimeoutMs > 2 ** 31 - 1
  ) {
    throw new InvalidLockOptionsError(
      'commandTimeoutMs',
      `must be a whole number of ms from 1 to 2147483647, got ${String(commandTimeoutMs)}`,
    );
  }
  if ('client' in options) {
    const { client } = options;
    if (
      !client ||
      typeof client.watch !== 'function' ||
      typeof client.kv?.txn !== 'function' ||
      typeof client.leaseClient?.leaseGrant !== 'function'
    ) {
      throw new InvalidLockOptionsError('client', 'must be an Etcd3 client (new Etcd3(...))');
    }
    return { client, ownsClient: false, prefix, commandTimeoutMs };
  }
  const hosts = endpointList((options as { endpoints?: unknown }).endpoints);
  if (options.auth !== undefined) {
    const { username, password } = options.auth ?? {};
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new InvalidLockOptionsError('auth', 'must be { username, password }, both strings');
    }
  }
  if (options.credentials !== undefined && !Buffer.isBuffer(options.credentials?.rootCertificate)) {
    throw new InvalidLockOptionsError('credentials', 'must hold rootCertificate as a Buffer');
  }
  if (
    options.connection !== undefined &&
    (typeof options.connection !== 'object' || options.connection === null)
  ) {
    throw new InvalidLockOptionsError('connection', 'must be etcd3 options (an object)');
  }
  const etcd3 = loadEtcd3();
  const client = new etcd3.Etcd3({
    faultHandling: {
      host: () => passThrough,
      global: tryEachMember(hosts.length, etcd3.isRecoverableError),
    },
    ...options.connection,
    hosts,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  return { client, ownsClient: true, prefix, commandTimeoutMs };
}

function endpointList(endpoints: unknown): string[] {
  const list = typeof endpoints === 'string' ? [endpoints] : endpoints;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidLockOptionsError(
      'endpoints',
      'must be one or more etcd client URLs (http://host:2379), or pass { client }',
    );
  }
  for (const each of list) {
    if (typeof each !== 'string' || !/^https?:\/\/[^/\s]+\/?$/.test(each)) {
      throw new InvalidLockOptionsError(
        'endpoints',
        `each must be an http:// or https:// URL of a member (http://host:2379), got ${JSON.stringify(each)}`,
      );
    }
  }
  return list as string[];
}
