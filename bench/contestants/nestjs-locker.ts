import { type LockBackend, LockManager } from '../../lib/index.js';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** How long a waiting acquire may wait before the scenario counts it as failed, in ms. */
const WAIT_MS = 60_000;

/**
 * nestjs-locker's `LockManager` on `backend`: `acquire(key, { ttl, wait })` then `release()`.
 * Waiters are woken by the backend's release notification; held locks renew in the manager's one
 * background loop.
 */
export function nestjsLocker(name: string, setup: string, backend: LockBackend): LockAdapter {
  const manager = new LockManager({ backend });
  const take = async (key: string, ttlMs: number): Promise<HeldLock> => {
    const lock = await manager.acquire(key, { ttl: ttlMs, wait: WAIT_MS });
    return {
      async release() {
        if (!(await lock.release())) throw new Error(`${name}: ${key} was not held any more`);
      },
    };
  };
  return {
    name,
    description: `\`LockManager.acquire(key, { ttl, wait })\` then \`lock.release()\`; ${setup}`,
    acquire: take,
    hold: take,
    close: () => manager.close(),
  };
}
