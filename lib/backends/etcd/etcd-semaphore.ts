import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { takeOwnRecord } from './etcd-acquire.js';
import type { EtcdContext } from './etcd-context.js';
import { extendRecords } from './etcd-extend.js';
import { LockKeys, PERMIT, recordValue } from './etcd-keys.js';
import { releaseRecord } from './etcd-release.js';
import { putRecord, rangeAnswer, readQueue, readRecord, recordIsAbsent } from './etcd-requests.js';

/**
 * Semaphores on etcd: each permit is a record `s<owner>` on a lease of its own, and the `permits`
 * oldest records of the key hold. One transaction writes the owner's record and reads the oldest
 * `permits` records: when the record is among them it holds (records only ever leave, so it stays
 * among them), otherwise its lease is revoked at once, which deletes it. Each permit's fencing
 * token is its record's create revision. A waiter watches the whole key for any deletion.
 *
 * @example
 * ```ts
 * await backend.semaphore.acquire('locker:partner-api', owner, 30_000, 4);
 * ```
 */
export class EtcdSemaphores implements Semaphores {
  constructor(private readonly context: EtcdContext) {}

  acquire(key: string, owner: string, ttlMs: number, permits: number): Promise<AcquireResult> {
    return this.context.call('acquire', key, () => this.#acquire(key, owner, ttlMs, permits));
  }

  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendRecords(this.context, leases, PERMIT);
  }

  release(key: string, owner: string): Promise<boolean> {
    return releaseRecord(this.context, key, owner, PERMIT);
  }

  async #acquire(
    key: string,
    owner: string,
    ttlMs: number,
    permits: number,
  ): Promise<AcquireResult> {
    const { context } = this;
    const keys = new LockKeys(context.prefix, key);
    const own = keys.record(owner);
    const lease = await context.grant(ttlMs);
    const reply = await context.client.kv
      .txn(
        {
          compare: [recordIsAbsent(own)],
          success: [
            putRecord(own, recordValue(PERMIT, owner), lease.id),
            readQueue(keys.range, permits),
          ],
          failure: [readRecord(own), readQueue(keys.range, permits)],
        },
        context.callOptions(),
      )
      .catch((error: unknown) => {
        context.revokeLater(lease.id);
        throw error;
      });
    const holders = rangeAnswer(reply, 1);
    const mine = holders.find((record) => record.key.equals(own));
    if (reply.succeeded && mine) {
      return {
        acquired: true,
        fencingToken: BigInt(reply.header.revision),
        expiresAt: lease.sentAt + lease.ttlMs,
      };
    }
    if (!reply.succeeded && mine) return takeOwnRecord(context, own, owner, mine, lease, PERMIT);
    // Not among the holders: revoking the lease deletes the record written on it.
    const revoked = await context.client.leaseClient.leaseRevoke(
      { ID: lease.id },
      context.callOptions(),
    );
    context.wakeups.watchDeletion(key, keys.start, revoked.header.revision, true);
    return { acquired: false, retryAfterMs: reply.succeeded ? undefined : 0 };
  }
}
