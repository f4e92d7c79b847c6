import type { RedisClientLike } from './redis-client.js';

/** The one eviction policy under which Redis never drops a lock key (they all carry a TTL). */
const SAFE_POLICY = 'noeviction';

/**
 * Checks what a Redis server's configuration means for locks, and returns one warning (or
 * `undefined` when all is well or nothing could be read):
 * - `maxmemory-policy` other than `noeviction`: under memory pressure Redis may evict a held lock's
 *   key (every lock key has a TTL, so the `volatile-*` policies evict them too) and a second
 *   holder gets the lock. Read with `CONFIG GET`, or from `INFO memory` where `CONFIG` is refused
 *   (managed Redis).
 * - no AOF (`INFO persistence` says `aof_enabled:0`): a restart loses every lock taken since the
 *   last snapshot, and another instance can take them while their holders still run.
 *
 * Each finding says what happens and what to change. Never throws.
 */
export async function checkRedisServer(
  client: RedisClientLike,
  timeout: <T>(call: Promise<T>) => Promise<T>,
): Promise<string | undefined> {
  const call = client.call?.bind(client);
  if (!call) return undefined;
  const run = (...args: string[]): Promise<unknown> =>
    timeout(call(args[0]!, ...args.slice(1))).catch(() => undefined);

  const [policy, persistence] = await Promise.all([
    run('CONFIG', 'GET', 'maxmemory-policy').then(async (reply) => {
      return configValue(reply) ?? infoField(await run('INFO', 'memory'), 'maxmemory_policy');
    }),
    run('INFO', 'persistence'),
  ]);
  const aof = infoField(persistence, 'aof_enabled');

  const findings: string[] = [];
  if (policy !== undefined && policy !== SAFE_POLICY) {
    findings.push(
      `maxmemory-policy is "${policy}", so Redis may evict held lock keys under memory pressure and let a second holder in (lock keys have a TTL, so volatile-* policies evict them too): set maxmemory-policy ${SAFE_POLICY}, or give locks a Redis of their own`,
    );
  }
  if (aof === '0') {
    findings.push(
      'persistence (AOF) is off, so a restart of Redis loses the locks held at that moment and other instances can take them while their holders still run (each holder learns it at its next renewal, about a third of its ttl later): set appendonly yes (appendfsync everysec or always), or keep a restarted Redis out of use for one lock ttl',
    );
  }
  if (findings.length === 0) return undefined;
  const where = serverOf(client);
  return `nestjs-locker: the Redis server${where ? ` at ${where}` : ''} can lose locks: ${findings.join('; and ')}.`;
}

/** The value of a `CONFIG GET` reply for one parameter: `[name, value]` (RESP2) or `{ name: value }`. */
function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  if (reply && typeof reply === 'object') {
    const value = Object.values(reply)[0];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** One `name:value` line of an `INFO` reply. */
function infoField(info: unknown, name: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

function serverOf(client: RedisClientLike): string | undefined {
  const { host, port } = client.options ?? {};
  return host === undefined ? undefined : `${host}:${port ?? 6379}`;
}
