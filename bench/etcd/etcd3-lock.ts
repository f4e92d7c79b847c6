import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import type { HeldLock, LockAdapter } from '../contestants/lock-adapter.js';

/** How often a taken key is tried again, in ms. */
const RETRY_DELAY_MS = 1;

/**
 * The `etcd3` client's own lock, as a peer: `client.lock(key).ttl(s).acquire()` (a lease kept
 * alive by the client, then a put guarded by `create_revision == 0`), `release()` revokes the
 * lease. It does not wait: a taken key rejects with `EtcdLockFailedError`, retried every 1 ms. No
 * fencing token, and the lease is renewed by the client for as long as it is held.
 *
 * @example
 * const peer = etcd3Lock(url);
 * const lock = await peer.acquire('bench:etcd:0', 10_000);
 * await lock.release();
 */
export function etcd3Lock(url: string): LockAdapter {
  const client = new Etcd3({ hosts: url });
  return {
    name: 'etcd3 client.lock()',
    description:
      '`client.lock(key).ttl(seconds).acquire()` then `release()` of the `etcd3` package: a lease per lock kept alive by the client, a put guarded by `create_revision == 0`, a revoke on release; retries every 1 ms on `EtcdLockFailedError`.',
    async acquire(key, ttlMs): Promise<HeldLock> {
      for (;;) {
        const lock = client.lock(key).ttl(Math.ceil(ttlMs / 1000));
        try {
          await lock.acquire();
          return { release: async () => void (await lock.release()) };
        } catch (error) {
          if (!(error instanceof EtcdLockFailedError)) throw error;
        }
        await sleep(RETRY_DELAY_MS);
      }
    },
    async close() {
      client.close();
    },
  };
}
