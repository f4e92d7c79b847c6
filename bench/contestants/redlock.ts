import type { Redis } from 'ioredis';
import Redlock from 'redlock';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/**
 * redlock 4.2.0 (the `latest` tag on npm): `lock(key, ttl)` then `unlock()`, on one server or as
 * the quorum of several. Defaults (retry every 200 ± 100 ms while taken) but for unlimited retries.
 * It has no automatic renewal.
 */
export function redlock(clients: readonly Redis[]): LockAdapter {
  // redlock 4 types its clients as callback-style `eval`; ioredis clients are what it drives.
  const servers = clients as unknown as Redlock.CompatibleRedisClient[];
  const lockService = new Redlock(servers, { retryCount: -1 });
  return {
    name: 'redlock 4.2.0',
    description:
      '`new Redlock(clients, { retryCount: -1 })`, `lock(key, ttl)`, `unlock()`; otherwise defaults: retries every 200 ± 100 ms while taken; no automatic renewal.',
    async acquire(key, ttlMs): Promise<HeldLock> {
      const lock = await lockService.lock(key, ttlMs);
      return {
        async release() {
          await lock.unlock();
        },
      };
    },
    // `quit()` would quit the clients, which belong to the scenario.
    async close() {},
  };
}
