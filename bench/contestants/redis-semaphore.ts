import type { Redis } from 'ioredis';
import { Mutex, RedlockMutex } from 'redis-semaphore';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** Long enough that a contended acquire never gives up during a round, in ms. */
const ACQUIRE_TIMEOUT_MS = 60_000;

/**
 * redis-semaphore's `Mutex` on one server, `RedlockMutex` on several: defaults (retry every 10 ms
 * while taken; a refresh timer per lock at 80 % of its ttl) but for a long acquire timeout.
 */
export function redisSemaphore(clients: readonly Redis[]): LockAdapter {
  const single = clients.length === 1;
  const take = async (key: string, ttlMs: number): Promise<HeldLock> => {
    const options = { lockTimeout: ttlMs, acquireTimeout: ACQUIRE_TIMEOUT_MS };
    const mutex = single
      ? new Mutex(clients[0]!, key, options)
      : new RedlockMutex([...clients], key, options);
    await mutex.acquire();
    return { release: () => mutex.release() };
  };
  return {
    name: single ? 'redis-semaphore Mutex' : 'redis-semaphore RedlockMutex',
    description: `\`new ${single ? 'Mutex' : 'RedlockMutex'}(client${single ? '' : 's'}, key, { lockTimeout, acquireTimeout: 60000 })\`, \`acquire()\`, \`release()\`; otherwise defaults: retries every 10 ms while taken, one refresh timer per lock at 80 % of its ttl.`,
    acquire: take,
    hold: take,
    async close() {},
  };
}
