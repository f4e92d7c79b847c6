import type {
  InstanceListing,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import { byId, byKeyThenToken, leaseListing } from '../shared/lease-listing.js';
import type { EtcdKeyValue } from './etcd-client.js';
import type { EtcdContext } from './etcd-context.js';
import {
  InstanceKeys,
  type KeyRange,
  lockRecordsRange,
  parseLockRecord,
} from './etcd-directory-keys.js';
import { HELD, kindOf, PERMIT, WAITING } from './etcd-keys.js';
import { leaseTtls } from './etcd-lease-ttls.js';
import { putRecord, readRecord } from './etcd-requests.js';

/** Records per range read: a listing pages through its range rather than asking for it whole. */
const PAGE = 1_000;
/** Leases whose TTL a listing reads per round, in listing order, until it has enough live ones. */
const TTL_ROUND = 64;

/** A lease the range read found; its `expiresAt` (0 here) is still to read from its etcd lease. */
interface Candidate {
  readonly lease: ListedLease;
  readonly etcdLease: string;
}

/**
 * The etcd backend's directory. etcd exposes no clock a client can read, so `now` is this
 * process's clock when the leases' TTLs are read, and each `expiresAt` is that `now` plus the TTL
 * etcd says the lease has left: the two are consistent with each other, as the contract asks of a
 * store without a clock; expiry itself is etcd's (it deletes a record when its lease runs out).
 *
 * - `list`: one range read (paged, {@link PAGE} records at a time) of the records whose lock key
 *   starts with the prefix, which is one contiguous range (see etcd-directory-keys.ts). Holders
 *   are decided as acquire and inspect decide them: a key's oldest record (lowest create
 *   revision) holds it, a fair queue's head included once the key is handed to it; every permit
 *   record of a semaphore holds one of its permits (an attempt that missed deletes its record by
 *   revoking its lease one round trip later, and may be listed until then, as inspect counts it).
 *   Then LeaseTimeToLive for the distinct leases, in listing order, only until `limit` + 1 live
 *   ones are found: O(records under the prefix) to read, O(limit) lease reads.
 * - Instance records: a key each, on an etcd lease of its own granted for the record's ttl
 *   (whole seconds, as every etcd ttl): `announce` grants the lease and puts the record on it,
 *   then revokes the record's previous lease; etcd deletes the record when the lease runs out.
 *   `instances` is one range read plus the leases' TTLs.
 *
 * @example
 * ```ts
 * const { leases, now } = await backend.directory.list('locker:', 100);
 * ```
 */
export class EtcdDirectory implements LockDirectory {
  constructor(private readonly context: EtcdContext) {}

  list(prefix: string, limit: number): Promise<LeaseListing> {
    return this.#call('list', prefix, async () => {
      const { context } = this;
      const records = await this.#readRange(lockRecordsRange(context.prefix, prefix));
      const candidates = holders(Buffer.from(context.prefix), records);
      candidates.sort((a, b) => byKeyThenToken(a.lease, b.lease));
      const now = Date.now();
      const live: ListedLease[] = [];
      for (let at = 0; at < candidates.length && live.length <= limit; at += TTL_ROUND) {
        const round = candidates.slice(at, at + TTL_ROUND);
        const left = await leaseTtls(
          context,
          round.map((candidate) => candidate.etcdLease),
        );
        for (const { lease, etcdLease } of round) {
          const ms = left.get(etcdLease);
          if (ms !== undefined) live.push({ ...lease, expiresAt: now + ms });
        }
      }
      return leaseListing(live, limit, now);
    });
  }

  announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    return this.#call('announce', prefix, async () => {
      const { context } = this;
      const own = new InstanceKeys(context.prefix, prefix).record(id);
      const lease = await context.grant(ttlMs);
      const reply = await context
        .bound(
          context.client.kv.txn(
            {
              compare: [],
              success: [readRecord(own), putRecord(own, Buffer.from(payload), lease.id)],
              failure: [],
            },
            context.callOptions(),
          ),
        )
        .catch((error: unknown) => {
          context.revokeLater(lease.id);
          throw error;
        });
      const previous = reply.responses[0]?.response_range?.kvs[0];
      if (previous && previous.lease !== lease.id) context.revokeLater(previous.lease);
    });
  }

  withdraw(prefix: string, id: string): Promise<void> {
    return this.#call('withdraw', prefix, async () => {
      const { context } = this;
      const reply = await context.bound(
        context.client.kv.deleteRange(
          { key: new InstanceKeys(context.prefix, prefix).record(id), prev_kv: true },
          context.callOptions(),
        ),
      );
      for (const record of reply.prev_kvs) context.revokeLater(record.lease);
    });
  }

  instances(prefix: string): Promise<InstanceListing> {
    return this.#call('instances', prefix, async () => {
      const keys = new InstanceKeys(this.context.prefix, prefix);
      const records = await this.#readRange(keys.range);
      const now = Date.now();
      const left = await leaseTtls(
        this.context,
        records.map((record) => record.lease),
      );
      const instances = records.flatMap((record) => {
        const ms = left.get(record.lease);
        if (ms === undefined) return [];
        return [
          { id: keys.idOf(record.key), payload: record.value.toString(), expiresAt: now + ms },
        ];
      });
      return { instances: instances.sort(byId), now };
    });
  }

  /** Every record in `range`, in key order, {@link PAGE} per read. */
  async #readRange(range: KeyRange): Promise<EtcdKeyValue[]> {
    const { context } = this;
    const found: EtcdKeyValue[] = [];
    let start = range.key;
    for (;;) {
      const reply = await context.bound(
        context.client.kv.range(
          { key: start, range_end: range.range_end, limit: PAGE },
          context.callOptions(),
        ),
      );
      found.push(...reply.kvs);
      const last = reply.kvs[reply.kvs.length - 1];
      if (!last || reply.kvs.length < PAGE) return found;
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  async #call<T>(operation: string, prefix: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.context.error(operation, prefix, error);
    }
  }
}

/**
 * The holds among a listing's records, grouped by lock key: each semaphore permit record, and
 * each other key's oldest record when it holds the key or a fair queue's head it was handed to.
 */
function holders(prefix: Buffer, records: readonly EtcdKeyValue[]): Candidate[] {
  const oldest = new Map<string, { readonly record: EtcdKeyValue; readonly owner: string }>();
  const found: Candidate[] = [];
  for (const record of records) {
    const parsed = parseLockRecord(prefix, record.key);
    if (!parsed) continue;
    const kind = kindOf(record.value);
    if (kind === PERMIT) {
      found.push({
        lease: lockLease(parsed.key, parsed.owner, record, 'permit'),
        etcdLease: record.lease,
      });
    } else if (kind === HELD || kind === WAITING) {
      const first = oldest.get(parsed.key);
      if (!first || BigInt(record.create_revision) < BigInt(first.record.create_revision)) {
        oldest.set(parsed.key, { record, owner: parsed.owner });
      }
    }
  }
  for (const [key, { record, owner }] of oldest) {
    found.push({ lease: lockLease(key, owner, record, 'mutex'), etcdLease: record.lease });
  }
  return found;
}

function lockLease(
  key: string,
  owner: string,
  record: EtcdKeyValue,
  kind: ListedLease['kind'],
): Candidate['lease'] {
  return { key, owner, fencingToken: BigInt(record.create_revision), expiresAt: 0, kind };
}
