import type { LeaseInfo } from '../../contract/lease.js';
import type { EtcdContext } from './etcd-context.js';
import { kindOf, LockKeys, PERMIT } from './etcd-keys.js';
import { rangeAnswer, readQueue } from './etcd-requests.js';

/**
 * The current lease of `key`: the oldest record (the holder, or the head of a fair queue it was
 * handed to), in one transaction that also reads, for a semaphore, how many permits are held and
 * the newest of them; then the lease's time to live (`expiresAt` is by this process's clock: etcd
 * exposes none, see docs/etcd.md).
 */
export async function inspectKey(context: EtcdContext, key: string): Promise<LeaseInfo | null> {
  const keys = new LockKeys(context.prefix, key);
  return context.call('inspect', key, async () => {
    const sentAt = Date.now();
    const reply = await context.client.kv.txn(
      {
        compare: [],
        success: [
          readQueue(keys.range, 1),
          {
            request_range: {
              ...keys.range,
              sort_order: 'Descend',
              sort_target: 'Create',
              limit: 1,
            },
          },
        ],
        failure: [],
      },
      context.callOptions(),
    );
    const [oldest] = rangeAnswer(reply, 0);
    if (!oldest) return null;
    const isSemaphore = kindOf(oldest.value) === PERMIT;
    const shown = isSemaphore ? rangeAnswer(reply, 1)[0]! : oldest;
    const remaining = (await context.remainingMs(shown)) ?? 0;
    const info: LeaseInfo = {
      key,
      owner: keys.ownerOf(shown.key),
      fencingToken: BigInt(shown.create_revision),
      expiresAt: sentAt + remaining,
    };
    if (!isSemaphore) return info;
    const count = Number(reply.responses[1]?.response_range?.count ?? 1);
    return { ...info, holders: count };
  });
}
