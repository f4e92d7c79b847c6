import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/**
 * The textbook Redis unlock: delete the key only if it still holds our token.
 * KEYS[1] = lock key, ARGV[1] = owner token. Returns 1 deleted | 0 not ours.
 */
export const COMPARE_AND_DELETE_LUA = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end
`;

/** How often the raw lock tries again while the key is taken, in ms. */
const RETRY_DELAY_MS = 1;

/**
 * The least a Redis lock can do, as the baseline: `SET key token NX PX ttl` and an `EVALSHA` of
 * compare-and-delete, with a random 128-bit token. On one server, or on several as the Redlock
 * quorum (the SET on every server at once, held when a majority said OK; released on all).
 * Waiting polls every millisecond, as tight as a polite poller gets.
 */
export function rawRedisLock(clients: readonly Redis[]): LockAdapter {
  const quorum = Math.floor(clients.length / 2) + 1;
  const shas = new Map<Redis, Promise<string>>();
  const sha = (client: Redis): Promise<string> => {
    let loaded = shas.get(client);
    if (!loaded) {
      loaded = client.script('LOAD', COMPARE_AND_DELETE_LUA) as Promise<string>;
      shas.set(client, loaded);
    }
    return loaded;
  };
  // EVALSHA, and EVAL when the server lost its script cache (a restart, SCRIPT FLUSH): what
  // ioredis's defineCommand and nestjs-locker do too.
  const compareAndDelete = async (client: Redis, key: string, token: string): Promise<number> => {
    try {
      return (await client.evalsha(await sha(client), 1, key, token)) as number;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.eval(COMPARE_AND_DELETE_LUA, 1, key, token)) as number;
    }
  };
  const release = async (key: string, token: string): Promise<number> => {
    if (clients.length === 1) return compareAndDelete(clients[0]!, key, token);
    const deleted = await Promise.all(
      clients.map((client) => compareAndDelete(client, key, token).catch(() => 0)),
    );
    return deleted.reduce((sum, one) => sum + one, 0);
  };
  const tryAcquire = async (key: string, token: string, ttlMs: number): Promise<boolean> => {
    if (clients.length === 1) {
      return (await clients[0]!.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
    }
    const replies = await Promise.all(
      clients.map((client) => client.set(key, token, 'PX', ttlMs, 'NX').catch(() => null)),
    );
    if (replies.filter((reply) => reply === 'OK').length >= quorum) return true;
    await release(key, token);
    return false;
  };
  return {
    name: clients.length === 1 ? 'raw ioredis' : `raw ioredis ×${clients.length}`,
    description:
      clients.length === 1
        ? '`SET key token NX PX ttl`, then `EVALSHA` of compare-and-delete; a random 128-bit token per acquire; retries every 1 ms while taken. The baseline.'
        : `\`SET key token NX PX ttl\` on all ${clients.length} servers in parallel, held on ${quorum} OKs (else undone), released by compare-and-delete on all; no clock-drift check. The baseline.`,
    async acquire(key, ttlMs): Promise<HeldLock> {
      const token = randomBytes(16).toString('hex');
      while (!(await tryAcquire(key, token, ttlMs))) await sleep(RETRY_DELAY_MS);
      return {
        async release() {
          if ((await release(key, token)) < (clients.length === 1 ? 1 : quorum)) {
            throw new Error(`raw ioredis: ${key} was not held any more`);
          }
        },
      };
    },
    async close() {},
  };
}
