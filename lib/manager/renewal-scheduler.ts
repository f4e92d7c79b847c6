import type { LockLostReason } from '../contract/errors.js';
import type { ExtendResult } from '../contract/lease.js';
import { type ClockTimer, type MonotonicClock, startTimer } from './clock.js';
import { renewalRetryAt } from './lease-timing.js';
import type { RenewableLease } from './lock.js';

/** What the scheduler reports to its owner. None of these may throw. */
export interface RenewalHooks<L extends RenewableLease> {
  /** Extends a batch of leases of one group (see {@link groupOf}) in the store. */
  extend(leases: readonly L[]): Promise<ExtendResult[]>;
  /** A lease is gone; it has already been removed from the scheduler. */
  lost(lease: L, reason: LockLostReason, cause?: unknown): void;
  /**
   * Leases could not be extended (the whole batch, or those the backend answered with an error);
   * each will be retried before its deadline. Called once per distinct error.
   */
  failed(leases: readonly L[], error: unknown): void;
  /**
   * Optional: which leases may share an extend call (those of one kind of lease, say). Leases of
   * different groups are extended in different calls; compared with `===`. Default: one group.
   */
  groupOf?(lease: L): unknown;
  /**
   * Optional: the part of the store a lease lives in (the backend's `partitionOf`). Leases of
   * different parts are extended in different calls, so that a part that stopped answering holds
   * back only the renewals of its own leases.
   */
  partitionOf?(lease: L): unknown;
}

/** How many leases go into one extend request. */
const DEFAULT_BATCH_SIZE = 256;

/**
 * Keeps every held lease alive with a single timer. When the timer fires it walks the held leases
 * once: those whose deadline passed are lost, those that may be renewed (from a sixth of their ttl
 * on; renewal is due at a third) are extended together in batches of up to 256, and the timer is re-armed for the earliest
 * next event. There is never one timer per lock, and the timer callback never throws.
 *
 * A lease whose extend is in flight is not sent again, but its deadline is still watched, so a
 * store that stops answering makes the lease's signal fire on time rather than when the request
 * finally times out.
 *
 * Failures are per lease: a backend may answer some leases of a batch with an error (their part
 * of the store failed, such as one Redis Cluster master) and the others with their new expiry.
 * Only the failed leases are retried; a rejected batch is a failure of each of its leases.
 */
export class RenewalScheduler<L extends RenewableLease> {
  readonly #leases = new Set<L>();
  #timer: ClockTimer | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(
    private readonly hooks: RenewalHooks<L>,
    private readonly clock: MonotonicClock,
    private readonly batchSize = DEFAULT_BATCH_SIZE,
  ) {}

  /** The number of leases being kept. */
  get size(): number {
    return this.#leases.size;
  }

  /** The leases being kept, in no particular order. */
  leases(): L[] {
    return [...this.#leases];
  }

  /** Whether some kept lease matches `predicate`. */
  some(predicate: (lease: L) => boolean): boolean {
    for (const lease of this.#leases) if (predicate(lease)) return true;
    return false;
  }

  add(lease: L): void {
    if (this.#stopped) return;
    this.#leases.add(lease);
    this.#armFor(lease);
  }

  /** Stops keeping a lease (released). A pending timer simply finds it gone. */
  delete(lease: L): boolean {
    return this.#leases.delete(lease);
  }

  /** Re-arms the timer after a lease's timing changed outside the scheduler (a manual extend). */
  touch(lease: L): void {
    if (this.#leases.has(lease)) this.#armFor(lease);
  }

  /** Stops the timer and forgets every lease. */
  stop(): void {
    this.#stopped = true;
    this.#leases.clear();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #nextEventAt(lease: L): number {
    return lease.autoRenew && !lease.renewing ? lease.renewalDueAt : lease.deadline;
  }

  #armFor(lease: L): void {
    this.#arm(this.#nextEventAt(lease));
  }

  #arm(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    const delay = Math.max(0, Math.ceil(at - this.clock.now()));
    this.#timer = startTimer(this.clock, () => this.#tick(), delay, true);
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    const due: L[] = [];
    for (const lease of this.#leases) {
      if (now >= lease.deadline) {
        this.#leases.delete(lease);
        this.hooks.lost(lease, 'expired');
        continue;
      }
      if (lease.autoRenew && !lease.renewing && now >= lease.renewAfter) {
        lease.renewing = true;
        due.push(lease);
      }
      next = Math.min(next, this.#nextEventAt(lease));
    }
    for (const group of this.#groups(due)) this.#renewInBatches(group);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }

  /** Splits due leases into the groups that may share a call: by group, then by part. */
  #groups(due: L[]): L[][] {
    const { groupOf, partitionOf } = this.hooks;
    if (due.length < 2 || (!groupOf && !partitionOf)) return [due];
    const groups = new Map<unknown, Map<unknown, L[]>>();
    for (const lease of due) {
      const group = groupOf?.(lease);
      const part = partitionOf?.(lease);
      let parts = groups.get(group);
      if (!parts) {
        parts = new Map();
        groups.set(group, parts);
      }
      const same = parts.get(part);
      if (same) same.push(lease);
      else parts.set(part, [lease]);
    }
    return [...groups.values()].flatMap((parts) => [...parts.values()]);
  }

  #renewInBatches(due: L[]): void {
    if (due.length <= this.batchSize) {
      if (due.length > 0) void this.#renew(due);
      return;
    }
    for (let i = 0; i < due.length; i += this.batchSize) {
      void this.#renew(due.slice(i, i + this.batchSize));
    }
  }

  async #renew(batch: L[]): Promise<void> {
    const sentAt = this.clock.now();
    let results: ExtendResult[];
    try {
      results = await this.hooks.extend(batch);
    } catch (error) {
      for (const lease of batch) lease.renewing = false;
      this.#retry(
        batch.filter((lease) => this.#leases.has(lease)),
        error,
      );
      return;
    }
    // Allocated only when some lease failed: the common batch costs nothing more.
    let failures: Map<unknown, L[]> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const lease = batch[i]!;
      lease.renewing = false;
      if (!this.#leases.has(lease)) continue;
      const expiresAt = results[i];
      if (expiresAt === undefined) {
        this.#leases.delete(lease);
        this.hooks.lost(lease, 'not-held');
      } else if (typeof expiresAt === 'number') {
        lease.renewed(expiresAt, sentAt);
        this.#armFor(lease);
      } else {
        failures ??= new Map();
        const failed = failures.get(expiresAt);
        if (failed) failed.push(lease);
        else failures.set(expiresAt, [lease]);
      }
    }
    if (failures) for (const [error, leases] of failures) this.#retry(leases, error);
  }

  /** Schedules another extend of each lease before its deadline, and reports the failure. */
  #retry(leases: readonly L[], error: unknown): void {
    if (leases.length === 0) return;
    const now = this.clock.now();
    for (const lease of leases) {
      lease.retryRenewalAt(Math.min(renewalRetryAt(now, lease.deadline), lease.deadline));
      this.#armFor(lease);
    }
    this.hooks.failed(leases, error);
  }
}
