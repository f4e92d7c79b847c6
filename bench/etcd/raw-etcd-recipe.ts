import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import type { HeldLock, LockAdapter } from '../contestants/lock-adapter.js';

/** How often a taken key is tried again, in ms. */
const RETRY_DELAY_MS = 1;

/**
 * The baseline: the etcd lock recipe with the raw `etcd3` client, the least the same guarantees
 * cost: a lease of the lock's ttl (`LeaseGrant`), the owner's key `<key>/<lease>` put on it, a
 * range of `<key>/` sorted by create revision (the oldest holds), and on release (or a miss) a
 * delete and a revoke. No renewal, no wake-ups: waiting polls every millisecond.
 *
 * @example
 * const raw = rawEtcdRecipe(url);
 * const lock = await raw.acquire('bench:etcd:0', 10_000);
 * await lock.release();
 */
export function rawEtcdRecipe(url: string): LockAdapter {
  const client = new Etcd3({ hosts: url });
  const take = async (key: string, ttlMs: number): Promise<HeldLock | undefined> => {
    const { ID } = await client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) });
    const own = Buffer.from(`${key}/${ID}`);
    await client.kv.put({ key: own, value: Buffer.from('owner'), lease: ID });
    const prefix = Buffer.from(`${key}/`);
    const { kvs } = await client.kv.range({
      key: prefix,
      range_end: Buffer.from(`${key}0`),
      sort_order: 'Ascend',
      sort_target: 'Create',
      limit: 1,
    });
    const release = async (): Promise<void> => {
      await client.kv.deleteRange({ key: own });
      await client.leaseClient.leaseRevoke({ ID });
    };
    if (kvs[0]?.key.equals(own)) return { release };
    await release();
    return undefined;
  };
  return {
    name: 'raw etcd3 recipe',
    description:
      '`etcd3` low-level calls: `LeaseGrant`, `Put` of `<key>/<lease>` on it, `Range` of `<key>/` sorted by create revision (the oldest holds), then `DeleteRange` + `LeaseRevoke` (also after a miss); retries every 1 ms while taken. The baseline.',
    async acquire(key, ttlMs) {
      for (;;) {
        const held = await take(key, ttlMs);
        if (held) return held;
        await sleep(RETRY_DELAY_MS);
      }
    },
    async close() {
      client.close();
    },
  };
}
