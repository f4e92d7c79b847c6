import type { FairAcquireOptions, FairLocks } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import { acquireMutex, takeOwnRecord } from './etcd-acquire.js';
import type { EtcdKeyValue } from './etcd-client.js';
import type { EtcdContext, GrantedLease } from './etcd-context.js';
import { keepAlive } from './etcd-keep-alive.js';
import { HELD, LockKeys, recordValue, WAITING } from './etcd-keys.js';
import { releaseRecord } from './etcd-release.js';
import {
  oldestCreatedAt,
  putRecord,
  rangeAnswer,
  rangeIsEmpty,
  readQueue,
  readRecord,
  recordCreatedAt,
  recordIsAbsent,
} from './etcd-requests.js';

/**
 * Fair locks on etcd: the key's records in create-revision order ARE its queue. A waiter joins by
 * writing its record (`w<owner>`) on a ticket lease of `ticketTtlMs`, renewed by each of its
 * attempts; a waiter that stops trying is dropped by etcd when its ticket runs out. The oldest
 * record holds the key: when the holder's record goes, the next record is the oldest, so nobody
 * can barge in (a plain or fair acquire sees a busy key), and its waiter, woken by the watch of
 * the record just ahead of it, takes it onto a lease of its ttl. Its create revision, from the
 * moment it joined, is its fencing token: queue order is token order.
 *
 * @example
 * ```ts
 * await backend.fair.acquire('locker:report', owner, 30_000, { ticketTtlMs: 3_000, join: true });
 * ```
 */
export class EtcdFairLocks implements FairLocks {
  /**
   * The create revision of each ticket this process queued (`<key>\0<owner>`): a woken waiter
   * then takes the key in one guarded transaction ("my ticket is the oldest record") instead of
   * reading the queue first.
   */
  readonly #tickets = new Map<string, string>();

  constructor(private readonly context: EtcdContext) {}

  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
  ): Promise<AcquireResult> {
    return this.context.call('acquire', key, () =>
      options.join
        ? this.#attempt(key, owner, ttlMs, options.ticketTtlMs)
        : acquireMutex(this.context, key, owner, ttlMs),
    );
  }

  release(key: string, owner: string): Promise<boolean> {
    this.#tickets.delete(`${key}\0${owner}`);
    return releaseRecord(this.context, key, owner, HELD);
  }

  /**
   * One attempt of a waiter: take the key when the queue is empty or this owner is its head;
   * otherwise renew the ticket, or join; then watch the record just ahead.
   */
  async #attempt(
    key: string,
    owner: string,
    ttlMs: number,
    ticketTtlMs: number,
  ): Promise<AcquireResult> {
    const { context } = this;
    const keys = new LockKeys(context.prefix, key);
    const own = keys.record(owner);
    const ticketId = `${key}\0${owner}`;
    const joinedAt = this.#tickets.get(ticketId);
    const lease = await context.grant(ttlMs);
    const reply = await context.client.kv
      .txn(
        {
          // Free, or (a waiter that queued) its ticket is the oldest record: take it.
          compare:
            joinedAt === undefined
              ? [rangeIsEmpty(keys.range)]
              : [oldestCreatedAt(keys.range, joinedAt), recordCreatedAt(own, joinedAt)],
          success: [readRecord(own), putRecord(own, recordValue(HELD, owner), lease.id)],
          failure: [readQueue(keys.range)],
        },
        context.callOptions(),
      )
      .catch((error: unknown) => {
        context.revokeLater(lease.id);
        throw error;
      });
    if (reply.succeeded) {
      this.#tickets.delete(ticketId);
      const [ticket] = rangeAnswer(reply, 0);
      if (ticket && ticket.lease !== lease.id) context.revokeLater(ticket.lease);
      return {
        acquired: true,
        fencingToken: BigInt(joinedAt ?? reply.header.revision),
        expiresAt: lease.sentAt + lease.ttlMs,
      };
    }
    const queue = rangeAnswer(reply, 0);
    const place = queue.findIndex((record) => record.key.equals(own));
    if (place < 0) this.#tickets.delete(ticketId);
    else this.#tickets.set(ticketId, queue[place]!.create_revision);
    if (place === 0) {
      this.#tickets.delete(ticketId);
      return takeOwnRecord(context, own, owner, queue[0]!, lease);
    }
    if (place > 0) {
      const ticket = queue[place]!;
      const renewals = await keepAlive(context, [ticket.lease]);
      if ((renewals.get(ticket.lease)?.ttlMs ?? 0) > 0) {
        context.revokeLater(lease.id);
        return this.#waitBehind(key, queue[place - 1]!, reply.header.revision);
      }
      // The ticket ran out: etcd deletes the record, and a later attempt joins anew.
      context.revokeLater(lease.id);
      return { acquired: false, retryAfterMs: 0 };
    }
    return this.#join(keys, key, owner, lease, ticketTtlMs);
  }

  /** Writes the owner's ticket at the end of the queue; takes the key if the queue emptied. */
  async #join(
    keys: LockKeys,
    key: string,
    owner: string,
    lease: GrantedLease,
    ticketTtlMs: number,
  ): Promise<AcquireResult> {
    const { context } = this;
    const own = keys.record(owner);
    let ticket: GrantedLease | undefined;
    try {
      ticket = await context.grant(ticketTtlMs);
      const reply = await context.client.kv.txn(
        {
          compare: [recordIsAbsent(own)],
          success: [putRecord(own, recordValue(WAITING, owner), ticket.id), readQueue(keys.range)],
          failure: [],
        },
        context.callOptions(),
      );
      if (!reply.succeeded) {
        context.revokeLater(ticket.id);
        context.revokeLater(lease.id);
        return { acquired: false, retryAfterMs: 0 };
      }
      const queue = rangeAnswer(reply, 1);
      const place = queue.findIndex((record) => record.key.equals(own));
      if (place === 0) return await takeOwnRecord(context, own, owner, queue[0]!, lease);
      context.revokeLater(lease.id);
      if (place < 0) return { acquired: false, retryAfterMs: 0 };
      this.#tickets.set(`${key}\0${owner}`, queue[place]!.create_revision);
      return this.#waitBehind(key, queue[place - 1]!, reply.header.revision);
    } catch (error) {
      context.revokeLater(lease.id);
      context.revokeLater(ticket?.id);
      throw error;
    }
  }

  #waitBehind(key: string, ahead: EtcdKeyValue, revision: string): AcquireResult {
    this.context.wakeups.watchDeletion(key, ahead.key, revision);
    return { acquired: false, retryAfterMs: undefined };
  }
}
