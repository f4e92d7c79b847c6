import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import type { MultiKeyLeaseToExtend, MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { EtcdKeyValue } from './etcd-client.js';
import { type EtcdContext, leaseSeconds } from './etcd-context.js';
import { EtcdReplyError } from './etcd-errors.js';
import { keepAlive } from './etcd-keep-alive.js';
import { HELD, LockKeys, recordValue } from './etcd-keys.js';
import {
  deleteAnswer,
  deleteRecord,
  MAX_TXN_OPS,
  putRecord,
  rangeAnswer,
  rangeIsEmpty,
  readQueue,
  readRecord,
  recordCreatedAt,
  recordHolds,
  recordRides,
} from './etcd-requests.js';

/**
 * Several keys at once on etcd: ONE transaction guarded by "no record" on every key puts the
 * owner's record on each, all on one lease, or none of them. They share the transaction's
 * revision as their create revision, so the one fencing token is above every earlier token of
 * each key, and each key reads as a plain mutex lease of that owner. Extend renews the one lease
 * when every record is still there.
 *
 * @example
 * ```ts
 * await backend.multiKey.acquire(['locker:account:1', 'locker:account:2'], owner, 30_000);
 * ```
 */
export class EtcdMultiKeyLocks implements MultiKeyLocks {
  constructor(private readonly context: EtcdContext) {}

  acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.context.call('acquire', undefined, async () => {
      tooMany(keys.length);
      const { context } = this;
      const lockKeys = keys.map((key) => new LockKeys(context.prefix, key));
      const own = lockKeys.map((each) => each.record(owner));
      const value = recordValue(HELD, owner);
      const lease = await context.grant(ttlMs);
      const reply = await context.client.kv
        .txn(
          {
            compare: lockKeys.map((each) => rangeIsEmpty(each.range)),
            success: own.map((record) => putRecord(record, value, lease.id)),
            failure: lockKeys.map((each) => readQueue(each.range, 1)),
          },
          context.callOptions(),
        )
        .catch((error: unknown) => {
          context.revokeLater(lease.id);
          throw error;
        });
      const expiresAt = lease.sentAt + lease.ttlMs;
      if (reply.succeeded) {
        return { acquired: true, fencingToken: BigInt(reply.header.revision), expiresAt };
      }
      const holders = lockKeys.map((_, i) => rangeAnswer(reply, i)[0]);
      if (holders.every((holder, i) => holder?.key.equals(own[i]!))) {
        return this.#retake(own, holders as EtcdKeyValue[], value, lease.id, expiresAt);
      }
      context.revokeLater(lease.id);
      let busy: EtcdKeyValue | undefined;
      holders.forEach((holder, i) => {
        if (!holder || holder.key.equals(own[i]!)) return;
        busy ??= holder;
        context.wakeups.watchDeletion(keys[i]!, holder.key, reply.header.revision);
      });
      return { acquired: false, retryAfterMs: await context.remainingMs(busy) };
    });
  }

  extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    if (leases.length === 0) return Promise.resolve([]);
    return this.context.call('extend', undefined, () => this.#extend(leases));
  }

  release(keys: readonly string[], owner: string): Promise<boolean> {
    return this.context.call('release', undefined, async () => {
      tooMany(keys.length);
      const { context } = this;
      const value = recordValue(HELD, owner);
      const reply = await context.client.kv.txn(
        {
          compare: [],
          success: keys.map((key) => deleteRecord(new LockKeys(context.prefix, key).record(owner))),
          failure: [],
        },
        context.callOptions(),
      );
      let held = false;
      const leases = new Set<string>();
      keys.forEach((_, i) => {
        for (const record of deleteAnswer(reply, i)) {
          leases.add(record.lease);
          if (record.value.equals(value)) held = true;
        }
      });
      for (const id of leases) context.revokeLater(id);
      return held;
    });
  }

  /** A retried acquire of keys this owner holds: all moved onto the new lease, same token. */
  async #retake(
    own: readonly Buffer[],
    records: readonly EtcdKeyValue[],
    value: Buffer,
    lease: string,
    expiresAt: number,
  ): Promise<AcquireResult> {
    const { context } = this;
    const reply = await context.client.kv.txn(
      {
        compare: own.map((record, i) => recordCreatedAt(record, records[i]!.create_revision)),
        success: own.map((record) => putRecord(record, value, lease)),
        failure: [],
      },
      context.callOptions(),
    );
    if (!reply.succeeded) {
      context.revokeLater(lease);
      return { acquired: false, retryAfterMs: 0 };
    }
    for (const id of new Set(records.map((record) => record.lease))) {
      if (id !== lease) context.revokeLater(id);
    }
    const token = records.reduce((max, record) => {
      const revision = BigInt(record.create_revision);
      return revision > max ? revision : max;
    }, 0n);
    return { acquired: true, fencingToken: token, expiresAt };
  }

  async #extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    const { context } = this;
    const records = leases.map((lease) =>
      lease.keys.map((key) => new LockKeys(context.prefix, key).record(lease.owner)),
    );
    const flat = records.flat();
    const read: (EtcdKeyValue | undefined)[] = [];
    for (let start = 0; start < flat.length; start += MAX_TXN_OPS) {
      const chunk = flat.slice(start, start + MAX_TXN_OPS);
      const reply = await context.client.kv.txn(
        { compare: [], success: chunk.map(readRecord), failure: [] },
        context.callOptions(),
      );
      for (let i = 0; i < chunk.length; i++) read.push(rangeAnswer(reply, i)[0]);
    }
    // Each lease's one etcd lease, when every one of its records is still the owner's on it.
    let at = 0;
    const held = leases.map((lease) => {
      const value = recordValue(HELD, lease.owner);
      const mine = read.slice(at, at + lease.keys.length);
      at += lease.keys.length;
      const first = mine[0];
      const whole =
        first &&
        mine.every((record) => record?.value.equals(value) && record.lease === first.lease);
      return whole ? first.lease : undefined;
    });
    const renewals = await keepAlive(
      context,
      held.filter((id): id is string => id !== undefined),
    );
    return Promise.all(
      leases.map(async (lease, i): Promise<ExtendResult> => {
        const id = held[i];
        const renewal = id === undefined ? undefined : renewals.get(id);
        if (!id || !renewal || renewal.ttlMs === 0) return undefined;
        if (renewal.ttlMs >= leaseSeconds(lease.ttlMs) * 1000)
          return renewal.sentAt + renewal.ttlMs;
        return this.#lengthen(records[i]!, recordValue(HELD, lease.owner), id, lease.ttlMs);
      }),
    );
  }

  /** Moves every record of a lease onto a new lease of `ttlMs`, or none. */
  async #lengthen(
    own: readonly Buffer[],
    value: Buffer,
    old: string,
    ttlMs: number,
  ): Promise<number | undefined> {
    const { context } = this;
    const lease = await context.grant(ttlMs);
    const reply = await context.client.kv.txn(
      {
        compare: own.flatMap((record) => [recordHolds(record, value), recordRides(record, old)]),
        success: own.map((record) => putRecord(record, value, lease.id)),
        failure: [],
      },
      context.callOptions(),
    );
    context.revokeLater(reply.succeeded ? old : lease.id);
    return reply.succeeded ? lease.sentAt + lease.ttlMs : undefined;
  }
}

/** A transaction carries at most `MAX_TXN_OPS` requests: one or two per key. */
function tooMany(count: number): void {
  if (count * 2 > MAX_TXN_OPS) {
    throw new EtcdReplyError(`at most ${MAX_TXN_OPS / 2} keys can be taken together, got ${count}`);
  }
}
