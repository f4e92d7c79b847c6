import type { EtcdContext } from './etcd-context.js';

/** How many LeaseTimeToLive calls a listing keeps in flight at once. */
const CONCURRENT_READS = 16;

/**
 * The ms each lease has left, read with LeaseTimeToLive (etcd has no call that reads several),
 * at most {@link CONCURRENT_READS} at a time, each bounded by the command timeout. A lease etcd no
 * longer has (expired, revoked: TTL -1) is absent from the answer. etcd answers whole seconds,
 * truncated, so a lease has up to one more second than it says: that second is counted, within
 * the TTL granted, as `EtcdContext.remainingMs` does for inspect.
 */
export async function leaseTtls(
  context: EtcdContext,
  ids: Iterable<string>,
): Promise<Map<string, number>> {
  const pending = [...new Set(ids)].filter((id) => id !== '0');
  const left = new Map<string, number>();
  const worker = async () => {
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      const reply = await context.bound(
        context.client.leaseClient.leaseTimeToLive({ ID: id }, context.callOptions()),
      );
      const seconds = Number(reply.TTL);
      if (seconds >= 0)
        left.set(id, Math.min((seconds + 1) * 1000, Number(reply.grantedTTL) * 1000));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, pending.length) }, worker));
  return left;
}
