import { Redis } from 'ioredis';
import {
  type LockBackend,
  LockManager,
  type LockManagerOptions,
  type LockOptions,
  RedisLockBackend,
} from '../../lib/index.js';
import type { RenewingContestant } from '../hold-and-renew.js';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** How long a waiting acquire may wait before the scenario counts it as failed, in ms. */
const WAIT_MS = 60_000;

/** Lock options the adapter passes on every acquire, besides `ttl` and `wait`. */
export type NestjsLockerOptions = Pick<LockOptions, 'fair'>;

/**
 * nestjs-locker's `LockManager` on `backend`: `acquire(key, { ttl, wait, ...options })` then
 * `release()`. Waiters are woken by the backend's release notification (or, with `fair: true`,
 * handed the lock by it); held locks renew in the manager's one background loop.
 */
export function nestjsLocker(
  name: string,
  setup: string,
  backend: LockBackend,
  options: NestjsLockerOptions = {},
  managerOptions: Omit<LockManagerOptions, 'backend'> = {},
): LockAdapter {
  const manager = new LockManager({ ...managerOptions, backend });
  const take = async (key: string, ttlMs: number): Promise<HeldLock> => {
    const lock = await manager.acquire(key, { ...options, ttl: ttlMs, wait: WAIT_MS });
    return {
      async release() {
        if (!(await lock.release())) throw new Error(`${name}: ${key} was not held any more`);
      },
    };
  };
  const extra = Object.entries(options)
    .map(([option, value]) => `, ${option}: ${String(value)}`)
    .join('');
  return {
    name,
    description: `\`LockManager.acquire(key, { ttl, wait${extra} })\` then \`lock.release()\`; ${setup}`,
    acquire: take,
    hold: take,
    close: () => manager.close(),
  };
}

/**
 * nestjs-locker as a renewing contestant: `LockManager.acquire(key, { ttl })` on
 * `RedisLockBackend({ client })`, held locks renewed by the manager's one batching loop.
 */
export const nestjsLockerRenewing: RenewingContestant = {
  name: 'nestjs-locker',
  description:
    '`LockManager.acquire(key, { ttl })` on `RedisLockBackend({ client })`: one background loop renews every held lock due within the same sixth of the ttl together, up to 128 keys per `EVALSHA`. Renewal period: ttl / 3.',
  periodMs: (ttlMs) => ttlMs / 3,
  open(url) {
    const client = new Redis(url);
    return {
      client,
      adapter: nestjsLocker('nestjs-locker', '', new RedisLockBackend({ client })),
    };
  },
};
