import type { AcquireResult } from '../../contract/lease.js';
import type { EtcdKeyValue, EtcdTxnResponse } from './etcd-client.js';
import type { EtcdContext, GrantedLease } from './etcd-context.js';
import { EtcdReplyError } from './etcd-errors.js';
import { HELD, LockKeys, type RecordKind, recordValue } from './etcd-keys.js';
import {
  putRecord,
  rangeAnswer,
  rangeIsEmpty,
  readQueue,
  recordCreatedAt,
} from './etcd-requests.js';

/**
 * One mutex acquire: a lease of its own (the ttl in whole seconds), then ONE transaction: when the
 * key has no record at all, put this owner's record on the lease (its create revision is the
 * fencing token); otherwise read the oldest record, the holder. No record is written on a miss,
 * so a missed attempt leaves nothing to clean up but its lease, revoked without waiting.
 *
 * When the oldest record is the owner's own (a retried acquire, or a fair queue that reached this
 * owner), it is taken: put again on the new lease, which keeps its create revision, so the same
 * fencing token and the new ttl.
 */
export async function acquireMutex(
  context: EtcdContext,
  key: string,
  owner: string,
  ttlMs: number,
): Promise<AcquireResult> {
  const keys = new LockKeys(context.prefix, key);
  const own = keys.record(owner);
  const lease = await context.grant(ttlMs);
  let reply: EtcdTxnResponse;
  try {
    reply = await context.client.kv.txn(
      {
        compare: [rangeIsEmpty(keys.range)],
        success: [putRecord(own, recordValue(HELD, owner), lease.id)],
        failure: [readQueue(keys.range, 1)],
      },
      context.callOptions(),
    );
  } catch (error) {
    // Whatever the outcome, no lease is left behind: a record written on it goes with it.
    context.revokeLater(lease.id);
    throw error;
  }
  if (reply.succeeded) {
    return {
      acquired: true,
      fencingToken: BigInt(reply.header.revision),
      expiresAt: lease.sentAt + lease.ttlMs,
    };
  }
  const [holder] = rangeAnswer(reply, 0);
  if (!holder) throw new EtcdReplyError('a busy key without records');
  if (holder.key.equals(own)) return takeOwnRecord(context, own, owner, holder, lease);
  context.revokeLater(lease.id);
  context.wakeups.watchDeletion(key, holder.key, reply.header.revision);
  return { acquired: false, retryAfterMs: await context.remainingMs(holder) };
}

/**
 * Takes the owner's own record, the oldest of its key, onto `lease` (its old lease, a shorter
 * ticket or the previous acquire's, is revoked): the same create revision, so the same token.
 * A miss when the record vanished meanwhile (its lease ran out).
 */
export async function takeOwnRecord(
  context: EtcdContext,
  own: Buffer,
  owner: string,
  record: EtcdKeyValue,
  lease: GrantedLease,
  kind: RecordKind = HELD,
): Promise<AcquireResult> {
  const reply = await context.client.kv.txn(
    {
      compare: [recordCreatedAt(own, record.create_revision)],
      success: [putRecord(own, recordValue(kind, owner), lease.id)],
      failure: [],
    },
    context.callOptions(),
  );
  if (!reply.succeeded) {
    context.revokeLater(lease.id);
    return { acquired: false, retryAfterMs: 0 };
  }
  if (record.lease !== lease.id) context.revokeLater(record.lease);
  return {
    acquired: true,
    fencingToken: BigInt(record.create_revision),
    expiresAt: lease.sentAt + lease.ttlMs,
  };
}
