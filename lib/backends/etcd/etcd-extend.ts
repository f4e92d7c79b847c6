import type { ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { EtcdKeyValue } from './etcd-client.js';
import { type EtcdContext, leaseSeconds } from './etcd-context.js';
import { keepAlive } from './etcd-keep-alive.js';
import { LockKeys, type RecordKind, recordValue } from './etcd-keys.js';
import {
  MAX_TXN_OPS,
  putRecord,
  rangeAnswer,
  readRecord,
  recordHolds,
  recordRides,
} from './etcd-requests.js';

/**
 * Extends a batch of leases (records of `kind`: held mutex records, or semaphore permits): one
 * transaction reads every lease's record (the owner check: the record must exist with this
 * owner's value, so only the owner extends), then one keep-alive stream renews all their leases.
 * A lease etcd no longer has, or has let expire, answers `undefined`. A lease asked to live longer
 * than its TTL is moved onto a new, longer lease (guarded by the record's value and old lease).
 */
export async function extendRecords(
  context: EtcdContext,
  leases: readonly LeaseToExtend[],
  kind: RecordKind,
): Promise<ExtendResult[]> {
  if (leases.length === 0) return [];
  try {
    return await context.bound(extendAll(context, leases, kind));
  } catch (error) {
    throw context.error('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
  }
}

async function extendAll(
  context: EtcdContext,
  leases: readonly LeaseToExtend[],
  kind: RecordKind,
): Promise<ExtendResult[]> {
  const records = leases.map((lease) =>
    new LockKeys(context.prefix, lease.key).record(lease.owner),
  );
  const found: (EtcdKeyValue | undefined)[] = [];
  for (let start = 0; start < records.length; start += MAX_TXN_OPS) {
    const chunk = records.slice(start, start + MAX_TXN_OPS);
    const reply = await context.client.kv.txn(
      { compare: [], success: chunk.map(readRecord), failure: [] },
      context.callOptions(),
    );
    chunk.forEach((_, i) => {
      const [record] = rangeAnswer(reply, i);
      const owner = leases[start + i]!.owner;
      found.push(record?.value.equals(recordValue(kind, owner)) ? record : undefined);
    });
  }
  const ids: string[] = [];
  for (const record of found) if (record && record.lease !== '0') ids.push(record.lease);
  const renewals = await keepAlive(context, ids);
  return Promise.all(
    leases.map(async (lease, i): Promise<ExtendResult> => {
      const record = found[i];
      const renewal = record && renewals.get(record.lease);
      if (!record || !renewal || renewal.ttlMs === 0) return undefined;
      if (renewal.ttlMs >= leaseSeconds(lease.ttlMs) * 1000) return renewal.sentAt + renewal.ttlMs;
      return lengthen(context, records[i]!, record, recordValue(kind, lease.owner), lease.ttlMs);
    }),
  );
}

/** Moves a record onto a new lease of `ttlMs` (a longer ttl than its lease was granted). */
async function lengthen(
  context: EtcdContext,
  own: Buffer,
  record: EtcdKeyValue,
  value: Buffer,
  ttlMs: number,
): Promise<number | undefined> {
  const lease = await context.grant(ttlMs);
  const reply = await context.client.kv.txn(
    {
      compare: [recordHolds(own, value), recordRides(own, record.lease)],
      success: [putRecord(own, value, lease.id)],
      failure: [],
    },
    context.callOptions(),
  );
  context.revokeLater(reply.succeeded ? record.lease : lease.id);
  return reply.succeeded ? lease.sentAt + lease.ttlMs : undefined;
}
