import { LockBackendError } from '../../contract/errors.js';
import type { RedisCommandClient } from './redis-client.js';
import { lockKeyPattern, storeKeyOfLockKey } from './redis-keys.js';

/** Keys a SCAN call looks at: enough to walk quickly, few enough to keep each call short. */
export const SCAN_COUNT = 1000;

/** How a scan reaches its server: the backend's name for errors, and the bound on each call. */
export interface ScanOptions {
  readonly backend: string;
  readonly bound: <T>(call: Promise<T>) => Promise<T>;
}

/**
 * The lock keys (`lockKeyOf` names) of one Redis server whose store key starts with `prefix`, a
 * page per SCAN call (MATCH on the escaped prefix, COUNT {@link SCAN_COUNT}): never KEYS, so the
 * server is never blocked for longer than one page. Keys derived from a lock key (fence, queues,
 * permits, results) are left out, and so is a key SCAN gives again (it may, while Redis rehashes).
 *
 * @example
 * ```ts
 * for await (const page of scanLockKeys(client, 'locker:', { backend: 'redis', bound })) read(page);
 * ```
 */
export async function* scanLockKeys(
  server: RedisCommandClient,
  prefix: string,
  { backend, bound }: ScanOptions,
): AsyncGenerator<string[]> {
  const pattern = lockKeyPattern(prefix);
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const reply = await bound(server.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT));
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) {
      throw new LockBackendError(backend, 'scan', undefined, 'SCAN answered another shape');
    }
    cursor = reply[0];
    const page: string[] = [];
    for (const key of reply[1] as unknown[]) {
      if (typeof key !== 'string' || seen.has(key)) continue;
      if (storeKeyOfLockKey(key)?.startsWith(prefix) !== true) continue;
      seen.add(key);
      page.push(key);
    }
    if (page.length > 0) yield page;
  } while (cursor !== '0');
}

/** `items` cut into runs of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The server's clock (TIME), in Unix epoch ms. */
export async function serverTimeMs(
  server: RedisCommandClient,
  { backend, bound }: ScanOptions,
): Promise<number> {
  const reply = await bound(server.call('TIME'));
  const [seconds, micros] = Array.isArray(reply) ? reply : [];
  if (typeof seconds !== 'string' || typeof micros !== 'string') {
    throw new LockBackendError(backend, 'time', undefined, 'TIME answered another shape');
  }
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
