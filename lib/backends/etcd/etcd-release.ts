import type { EtcdContext } from './etcd-context.js';
import { LockKeys, type RecordKind, recordValue } from './etcd-keys.js';

/**
 * Deletes `owner`'s record of `key` and revokes its lease (without waiting: the record is gone
 * already). `true` when the record was a `kind` record of that owner (a held lease); a fair
 * waiter's ticket is deleted too (it leaves the queue), answering `false`. The deletion wakes,
 * through their watches, the waiters that wait behind this record, in every process.
 */
export async function releaseRecord(
  context: EtcdContext,
  key: string,
  owner: string,
  kind: RecordKind,
): Promise<boolean> {
  const own = new LockKeys(context.prefix, key).record(owner);
  return context.call('release', key, async () => {
    const reply = await context.client.kv.deleteRange(
      { key: own, prev_kv: true },
      context.callOptions(),
    );
    const [record] = reply.prev_kvs;
    if (!record) return false;
    context.revokeLater(record.lease);
    return record.value.equals(recordValue(kind, owner));
  });
}
