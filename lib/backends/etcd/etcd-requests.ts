import type { EtcdCompare, EtcdKeyValue, EtcdRequestOp, EtcdTxnResponse } from './etcd-client.js';
import { EtcdReplyError } from './etcd-errors.js';
import type { QueueRange } from './etcd-keys.js';

/**
 * The requests and guards the backend's transactions are built of, each named for what it does.
 * Keys and values are always request fields (bytes), never text assembled into a query.
 */

/** Guard: no record in `range` at all (compared over a range, an empty range has revision 0). */
export function rangeIsEmpty(range: QueueRange): EtcdCompare {
  return { ...range, target: 'Create', result: 'Equal', create_revision: 0 };
}

/**
 * Guard: the record created at `revision` is the oldest of `range` (every record of it was created
 * at that revision or later; an empty range fails).
 */
export function oldestCreatedAt(range: QueueRange, revision: string): EtcdCompare {
  return {
    ...range,
    target: 'Create',
    result: 'Greater',
    create_revision: String(BigInt(revision) - 1n),
  };
}

/** Guard: `record` does not exist. */
export function recordIsAbsent(record: Buffer): EtcdCompare {
  return { key: record, target: 'Create', result: 'Equal', create_revision: 0 };
}

/** Guard: `record` is the one created at `revision` (it was not deleted and made anew since). */
export function recordCreatedAt(record: Buffer, revision: string): EtcdCompare {
  return { key: record, target: 'Create', result: 'Equal', create_revision: revision };
}

/** Guard: `record` holds `value`. */
export function recordHolds(record: Buffer, value: Buffer): EtcdCompare {
  return { key: record, target: 'Value', result: 'Equal', value };
}

/** Guard: `record` rides lease `lease`. */
export function recordRides(record: Buffer, lease: string): EtcdCompare {
  return { key: record, target: 'Lease', result: 'Equal', lease };
}

/** Writes `record` with `value` on `lease` (a record that exists keeps its create revision). */
export function putRecord(record: Buffer, value: Buffer, lease: string): EtcdRequestOp {
  return { request_put: { key: record, value, lease } };
}

/** Reads one record. */
export function readRecord(record: Buffer): EtcdRequestOp {
  return { request_range: { key: record } };
}

/** Reads the first `limit` records of `range` in queue order (oldest first; 0: all of them). */
export function readQueue(range: QueueRange, limit = 0): EtcdRequestOp {
  return { request_range: { ...range, sort_order: 'Ascend', sort_target: 'Create', limit } };
}

/** Deletes one record, answering what it held. */
export function deleteRecord(record: Buffer): EtcdRequestOp {
  return { request_delete_range: { key: record, prev_kv: true } };
}

/** The records a transaction's range request at `index` answered. */
export function rangeAnswer(reply: EtcdTxnResponse, index: number): readonly EtcdKeyValue[] {
  const range = reply.responses[index]?.response_range;
  if (!range) throw new EtcdReplyError(`no range answer at ${index} of the transaction`);
  return range.kvs;
}

/** The records a transaction's delete request at `index` deleted. */
export function deleteAnswer(reply: EtcdTxnResponse, index: number): readonly EtcdKeyValue[] {
  const deleted = reply.responses[index]?.response_delete_range;
  if (!deleted) throw new EtcdReplyError(`no delete answer at ${index} of the transaction`);
  return deleted.prev_kvs;
}

/** etcd's default `--max-txn-ops`: the most requests one transaction may carry. */
export const MAX_TXN_OPS = 128;
