import { InvalidLockOptionsError } from '../../contract/errors.js';
import type { RedisClientLike } from '../redis/redis-client.js';
import type { RedisConnectionOptions } from '../redis/redis-options.js';

/**
 * One Redlock node: an ioredis client (it stays yours: `close()` does not quit it), or a Redis URL
 * or ioredis connection options for a connection the backend opens and closes itself.
 */
export type RedlockNode =
  | RedisClientLike
  | string
  | { readonly client: RedisClientLike }
  | { readonly url: string; readonly connection?: RedisConnectionOptions }
  | { readonly connection: RedisConnectionOptions };

/** Options of {@link RedlockLockBackend}. */
export interface RedlockLockBackendOptions {
  /**
   * The independent Redis masters (not replicas of each other, not one server twice): an odd
   * number, at least 3. A lock is granted by a majority of them.
   */
  readonly nodes: readonly RedlockNode[];
  /**
   * How long a quorum call waits for a node, in ms (default 1 000): a node that has not answered by
   * then counts as timed out, so a stalled node never holds up a decision the others can make. An
   * acquire never waits past its lease's validity (ttl less the drift allowance) either.
   */
  readonly commandTimeoutMs?: number;
  /**
   * The clock-drift allowance, as a fraction of the ttl (default 0.01): a lease counts as valid for
   * `ttl − elapsed − (ttl × clockDriftFactor + 2 ms)` after the acquire was sent.
   */
  readonly clockDriftFactor?: number;
  /**
   * How long each node keeps a key's last fencing token after its lease ends, in ms (default 10
   * minutes). See the README's "Redlock quorum" section for when fencing tokens are monotonic.
   */
  readonly fenceRetentionMs?: number;
  /**
   * Receives a warning, on first use, for each node whose configuration can lose locks (see
   * `RedisLockBackend`'s `onWarning`). Default: `process.emitWarning` with code
   * `NESTJS_LOCKER_REDIS_CONFIG`, once per process and message; `false` skips the check.
   */
  readonly onWarning?: ((message: string) => void) | false;
}

/** A node as validated, before any connection is opened. */
export type NodeSpec =
  | { readonly kind: 'client'; readonly label: string; readonly client: RedisClientLike }
  | {
      readonly kind: 'owned';
      readonly label: string;
      readonly url: string | undefined;
      readonly connection: RedisConnectionOptions;
    };

/** Everything {@link RedlockLockBackend} needs, checked. */
export interface ResolvedRedlockOptions {
  readonly nodes: readonly NodeSpec[];
  readonly commandTimeoutMs: number;
  readonly clockDriftFactor: number;
  readonly fenceRetentionMs: number;
  readonly onWarning: ((message: string) => void) | false;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const DEFAULT_CLOCK_DRIFT_FACTOR = 0.01;
const DEFAULT_FENCE_RETENTION_MS = 10 * 60_000;

/** Checks the options without opening anything, so that a bad option leaks no connection. */
export function resolveRedlockOptions(
  options: RedlockLockBackendOptions,
  defaultWarning: (message: string) => void,
): ResolvedRedlockOptions {
  if (!options || typeof options !== 'object' || !Array.isArray(options.nodes)) {
    throw new InvalidLockOptionsError(
      'nodes',
      'RedlockLockBackend needs { nodes: [...] }: an odd number (3 or more) of Redis clients or URLs',
    );
  }
  const nodes = options.nodes.map((node, i) => nodeSpec(node, `nodes[${i}]`));
  if (nodes.length < 3 || nodes.length % 2 === 0) {
    throw new InvalidLockOptionsError(
      'nodes',
      nodes.length < 3
        ? `needs at least 3 independent Redis masters, got ${nodes.length} (for one server use RedisLockBackend)`
        : `needs an odd number of nodes, got ${nodes.length}: an even count tolerates no more failures than one node fewer, and a tie decides nothing`,
    );
  }
  const seen = new Map<unknown, number>();
  nodes.forEach((node, i) => {
    for (const identity of [node.label, node.kind === 'client' ? node.client : undefined]) {
      if (identity === undefined || identity === '') continue;
      const first = seen.get(identity);
      if (first !== undefined) {
        throw new InvalidLockOptionsError(
          `nodes[${i}]`,
          `is the same Redis server as nodes[${first}] (${node.label || 'the same client'}): it would count twice toward the quorum`,
        );
      }
      seen.set(identity, i);
    }
  });
  const onWarning = options.onWarning ?? defaultWarning;
  if (onWarning !== false && typeof onWarning !== 'function') {
    throw new InvalidLockOptionsError('onWarning', 'must be a function or false');
  }
  return {
    nodes,
    commandTimeoutMs: wholeMs(
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'commandTimeoutMs',
      1,
    ),
    clockDriftFactor: driftFactor(options.clockDriftFactor ?? DEFAULT_CLOCK_DRIFT_FACTOR),
    fenceRetentionMs: wholeMs(
      options.fenceRetentionMs ?? DEFAULT_FENCE_RETENTION_MS,
      'fenceRetentionMs',
      0,
    ),
    onWarning,
  };
}

function nodeSpec(node: RedlockNode, field: string): NodeSpec {
  if (typeof node === 'string') return ownedSpec(node, {}, field);
  if (!node || typeof node !== 'object') {
    throw new InvalidLockOptionsError(
      field,
      `must be an ioredis client, a redis:// URL, { url }, { client } or { connection }, got ${String(node)}`,
    );
  }
  if (isClient(node)) return clientSpec(node);
  if ('client' in node) {
    if (!isClient(node.client)) {
      throw new InvalidLockOptionsError(
        `${field}.client`,
        'must be an ioredis client (new Redis(...))',
      );
    }
    return clientSpec(node.client);
  }
  const connection = node.connection ?? {};
  if (typeof connection !== 'object') {
    throw new InvalidLockOptionsError(`${field}.connection`, 'must be ioredis options');
  }
  if ('url' in node) return ownedSpec(node.url, connection, field);
  return { kind: 'owned', label: labelOf(connection), url: undefined, connection };
}

function isClient(value: unknown): value is RedisClientLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RedisClientLike).evalsha === 'function'
  );
}

function clientSpec(client: RedisClientLike): NodeSpec {
  const options = client.options ?? {};
  return {
    kind: 'client',
    label: options.host === undefined ? '' : hostPort(options.host, options.port),
    client,
  };
}

function ownedSpec(url: unknown, connection: RedisConnectionOptions, field: string): NodeSpec {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new InvalidLockOptionsError(field, `is not a valid Redis URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidLockOptionsError(
      field,
      `must be a redis:// or rediss:// URL, got ${parsed.protocol}//…`,
    );
  }
  return {
    kind: 'owned',
    label: hostPort(parsed.hostname, parsed.port === '' ? undefined : Number(parsed.port)),
    url: String(url),
    connection,
  };
}

function labelOf(connection: RedisConnectionOptions): string {
  const { host, port, path } = connection;
  if (typeof path === 'string') return path;
  return hostPort(typeof host === 'string' ? host : 'localhost', Number(port ?? 6379));
}

/** `host:port`, with the loopback names made one, so that two spellings of one server match. */
function hostPort(host: string, port: number | undefined): string {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  const loopback = name === 'localhost' || name === '::1' || name === '127.0.0.1';
  return `${loopback ? '127.0.0.1' : name}:${port ?? 6379}`;
}

function wholeMs(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidLockOptionsError(
      field,
      `must be a whole number of ms, ${min} or more, got ${value}`,
    );
  }
  return value;
}

function driftFactor(value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 0.5)) {
    throw new InvalidLockOptionsError(
      'clockDriftFactor',
      `must be a fraction from 0 to 0.5 (0.01 is 1 %), got ${value}`,
    );
  }
  return value;
}
